/** Hand-made tokens for negative tests: arbitrary headers, payloads and signatures. */
import type { Signer } from '../../../identity/signer.js'

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

/** Sign arbitrary header and payload (no defaults), e.g. to test `alg` handling. */
export async function signRaw (header: Record<string, unknown>, payload: Record<string, unknown>, signer: Signer): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`
  const sig = await signer.sign(new Uint8Array(Buffer.from(input, 'ascii')))
  return `${input}.${Buffer.from(sig).toString('base64url')}`
}

/** An unsigned-looking token with a junk 64-byte signature: cheap, for structure-only tests. */
export function junkSigned (payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'EdDSA', typ: 'JWT' }): string {
  return `${b64(header)}.${b64(payload)}.${Buffer.alloc(64, 7).toString('base64url')}`
}

/** Flip one bit of character `i` while staying in the base64url alphabet when possible. */
export function flipChar (token: string, i: number): string {
  const c = token[i]
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  let r = String.fromCharCode(c.charCodeAt(0) ^ 1)
  if (c !== '.' && !alphabet.includes(r)) r = c === 'A' ? 'B' : 'A'
  return token.slice(0, i) + r + token.slice(i + 1)
}
