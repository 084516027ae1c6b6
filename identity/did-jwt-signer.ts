/**
 * Adapter from our Signer to did-jwt's signer function (`(data) => Promise<base64url signature>`),
 * so did-jwt can create EdDSA tokens without ever holding the private key.
 */
import type { Signer as DidJwtSigner } from 'did-jwt'
import type { Signer } from './signer.js'

export function didJwtSigner (signer: Signer): DidJwtSigner {
  return async (data: string | Uint8Array): Promise<string> => {
    const bytes = typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'utf8')) : data
    return Buffer.from(await signer.sign(bytes)).toString('base64url')
  }
}
