/**
 * A libp2p private key whose signatures come from a Signer, so the node key (its PeerId) can stay
 * on a PKCS#11 token. libp2p 3 signs with `await privateKey.sign()` everywhere it uses the identity
 * key (the Noise handshake payload, signed peer records, gossipsub messages), so a signature from the
 * token is all it needs. The private bytes cannot be read: `raw` throws KeyNotExtractableError, and
 * nothing in the node's libp2p configuration asks for them (no keychain holds the self key).
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey, Ed25519PublicKey } from '@libp2p/interface'
import type { Signer } from '../../identity/signer.js'

export class KeyNotExtractableError extends Error {
  override readonly name = 'KeyNotExtractableError'
  readonly code = 'KEY_NOT_EXTRACTABLE'
}

/** Anything libp2p passes to sign: bytes, or a list of chunks (`Uint8ArrayList` has `subarray()`). */
type SignInput = Uint8Array | { subarray: () => Uint8Array }

export function libp2pPrivateKeyFromSigner (signer: Signer, where = 'a hardware token'): Ed25519PrivateKey {
  const publicKey = publicKeyFromRaw(signer.publicKey)
  if (publicKey.type !== 'Ed25519') throw new TypeError(`the node key must be Ed25519, not ${publicKey.type}`)
  const pub: Ed25519PublicKey = publicKey
  return {
    type: 'Ed25519',
    publicKey: pub,
    get raw (): Uint8Array {
      throw new KeyNotExtractableError(`the node key ${signer.did} is held in ${where} and cannot be read out`)
    },
    equals (key?: unknown): boolean {
      const k = key as { type?: unknown, publicKey?: { equals?: (o: unknown) => boolean } } | undefined
      return k?.type === 'Ed25519' && k.publicKey?.equals?.(pub) === true
    },
    async sign (data: SignInput): Promise<Uint8Array> {
      return await signer.sign(data instanceof Uint8Array ? data : data.subarray())
    }
  }
}
