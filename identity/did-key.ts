/**
 * did:key for Ed25519 (https://w3c-ccg.github.io/did-method-key/): `did:key:z` + base58btc of the
 * multicodec varint 0xed01 followed by exactly 32 public key bytes. Decoding is strict: anything
 * else is refused with a named reason code; nothing here touches the network.
 */
import { base58btc } from 'multiformats/bases/base58'
import { fail, ok, type Result } from './result.js'
import { checkEd25519PublicKey } from './ed25519-point.js'

export const ED25519_PUB_MULTICODEC = new Uint8Array([0xed, 0x01])
export const ED25519_PUBLIC_KEY_LENGTH = 32
const PREFIX = 'did:key:'
/** Longest possible Ed25519 did:key is 56 chars; refuse absurd input before decoding. */
const MAX_DID_LENGTH = 128
const BASE58_ID = /^z[1-9A-HJ-NP-Za-km-z]+$/

export const DidErrorCode = {
  INVALID_DID: 'INVALID_DID',
  UNSUPPORTED_DID_METHOD: 'UNSUPPORTED_DID_METHOD',
  INVALID_MULTIBASE: 'INVALID_MULTIBASE',
  UNSUPPORTED_KEY_TYPE: 'UNSUPPORTED_KEY_TYPE',
  INVALID_PUBLIC_KEY_LENGTH: 'INVALID_PUBLIC_KEY_LENGTH',
  /** Not the canonical encoding of an Ed25519 curve point. */
  INVALID_PUBLIC_KEY: 'INVALID_PUBLIC_KEY',
  /** A small-order point: trivially forgeable signatures verify under it. */
  WEAK_PUBLIC_KEY: 'WEAK_PUBLIC_KEY'
} as const

/** Thrown by the throwing variants; `code` is one of DidErrorCode. */
export class InvalidDidError extends Error {
  override readonly name = 'InvalidDidError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

export function didKeyFromPublicKey (publicKey: Uint8Array): string {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new InvalidDidError(DidErrorCode.INVALID_PUBLIC_KEY_LENGTH, `Ed25519 public key must be 32 bytes, got ${publicKey.length}`)
  }
  const bytes = new Uint8Array(2 + publicKey.length)
  bytes.set(ED25519_PUB_MULTICODEC, 0)
  bytes.set(publicKey, 2)
  return PREFIX + base58btc.encode(bytes)
}

/** Successful parses, keyed by the DID text: parsing is pure, and the hot path sees few issuers. */
const MAX_CACHED_DIDS = 4096
const parsed = new Map<string, Uint8Array>()

/** Strictly parse an Ed25519 did:key and return its 32-byte public key (a fresh copy). */
export function parseDidKey (did: unknown): Result<Uint8Array> {
  if (typeof did === 'string') {
    const hit = parsed.get(did)
    if (hit != null) return ok(Uint8Array.from(hit))
  }
  const r = parseDidKeyUncached(did)
  if (r.ok) {
    parsed.set(did as string, Uint8Array.from(r.value))
    if (parsed.size > MAX_CACHED_DIDS) parsed.delete(parsed.keys().next().value as string)
  }
  return r
}

function parseDidKeyUncached (did: unknown): Result<Uint8Array> {
  if (typeof did !== 'string' || did.length === 0) return fail(DidErrorCode.INVALID_DID, 'DID must be a non-empty string')
  if (did.length > MAX_DID_LENGTH) return fail(DidErrorCode.INVALID_DID, `DID is too long (${did.length} characters)`)
  const parts = did.split(':')
  if (parts.length < 3 || parts[0] !== 'did') return fail(DidErrorCode.INVALID_DID, `not a DID: ${JSON.stringify(did.slice(0, 64))}`)
  if (parts[1] !== 'key') return fail(DidErrorCode.UNSUPPORTED_DID_METHOD, `DID method "${parts[1]}" is not supported (only did:key)`)
  if (parts.length !== 3) return fail(DidErrorCode.INVALID_DID, 'did:key must have exactly one method-specific id')
  const id = parts[2]
  if (!id.startsWith('z')) return fail(DidErrorCode.INVALID_MULTIBASE, 'did:key id must be base58btc multibase (prefix "z")')
  // the base-x decoder turns characters outside its alphabet (e.g. U+FFFD) into garbage instead of
  // failing, so the alphabet is checked first and the result must re-encode to the same text
  if (!BASE58_ID.test(id)) return fail(DidErrorCode.INVALID_MULTIBASE, 'did:key id has characters outside the base58btc alphabet')
  let bytes: Uint8Array
  try {
    bytes = base58btc.decode(id)
  } catch {
    return fail(DidErrorCode.INVALID_MULTIBASE, 'did:key id is not valid base58btc')
  }
  if (bytes.length < 2 || bytes[0] !== 0xed || bytes[1] !== 0x01) {
    return fail(DidErrorCode.UNSUPPORTED_KEY_TYPE, 'did:key is not an Ed25519 key (multicodec 0xed01)')
  }
  const key = bytes.subarray(2)
  if (key.length !== ED25519_PUBLIC_KEY_LENGTH) {
    return fail(DidErrorCode.INVALID_PUBLIC_KEY_LENGTH, `did:key holds ${key.length} key bytes, expected 32`)
  }
  if (base58btc.encode(bytes) !== id) return fail(DidErrorCode.INVALID_MULTIBASE, 'did:key id is not canonical base58btc')
  const point = checkEd25519PublicKey(key)
  if (point === 'small-order') return fail(DidErrorCode.WEAK_PUBLIC_KEY, 'did:key is a small-order Ed25519 point (weak key)')
  if (point !== 'ok') return fail(DidErrorCode.INVALID_PUBLIC_KEY, `did:key is not a valid Ed25519 public key (${point})`)
  return ok(Uint8Array.from(key))
}

/** Throwing variant of parseDidKey for callers that treat a bad DID as a programming or input error. */
export function publicKeyFromDidKey (did: string): Uint8Array {
  const r = parseDidKey(did)
  if (!r.ok) throw new InvalidDidError(r.error.code, r.error.message)
  return r.value
}

export function isDidKey (did: unknown): did is string {
  return parseDidKey(did).ok
}
