/**
 * Hot-path Ed25519 verification with native node:crypto. Building a KeyObject costs more than the
 * verification itself, so public keys are cached (bounded LRU keyed by the raw key bytes).
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto'

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const MAX_CACHED_KEYS = 4096
const cache = new Map<string, KeyObject>()

export function ed25519PublicKeyObject (publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString('base64')
  let key = cache.get(id)
  if (key != null) {
    cache.delete(id)
    cache.set(id, key)
    return key
  }
  if (publicKey.length !== 32) throw new RangeError(`Ed25519 public key must be 32 bytes, got ${publicKey.length}`)
  key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' })
  cache.set(id, key)
  if (cache.size > MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string)
  return key
}

/** True only for a valid 64-byte Ed25519 signature of `data` by `publicKey`; never throws. */
export function verifyEd25519 (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false
  try {
    return cryptoVerify(null, data, ed25519PublicKeyObject(publicKey), signature)
  } catch {
    return false
  }
}
