/**
 * Content identifiers of tokens: CIDv1, raw codec (0x55), sha2-256, base32 lower (`bafkrei...`) of
 * the JWT's UTF-8 bytes. Hashing is synchronous (node:crypto) so validation stays a sync function;
 * parsing is strict so one token has exactly one CID spelling.
 */
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { base32 } from 'multiformats/bases/base32'
import { create as createDigest } from 'multiformats/hashes/digest'
import { fail, ok, type Result } from '../result.js'
import { UcanErrorCode } from './errors.js'

export const RAW_CODEC = 0x55
export const SHA2_256 = 0x12
/** Length of a CIDv1/raw/sha2-256 in base32 multibase: 'b' + 58 chars. */
const CID_STRING_LENGTH = 59
const CID_PATTERN = /^bafkrei[a-z2-7]{52}$/

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
/** CIDv1 (0x01), raw (0x55), sha2-256 (0x12), 32 bytes (0x20). */
const PREFIX = [0x01, RAW_CODEC, SHA2_256, 0x20]

/** RFC 4648 base32, lower case, no padding (the multibase 'b' alphabet); hot path, so hand-rolled. */
function base32Lower (bytes: ArrayLike<number>): string {
  let out = ''
  let bits = 0
  let value = 0
  for (let i = 0; i < bytes.length; i++) {
    value = (value << 8) | bytes[i]
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** The CID of a JWT, computed from its exact UTF-8 bytes (equal to multiformats' CID string). */
export function cidOfJwt (jwt: string): string {
  const hash = createHash('sha256').update(jwt, 'utf8').digest()
  const bytes = new Uint8Array(36)
  bytes.set(PREFIX, 0)
  bytes.set(hash, 4)
  return 'b' + base32Lower(bytes)
}

/** Same as cidOfJwt but through multiformats (reference implementation, for tests). */
export function cidOfJwtReference (jwt: string): string {
  const hash = createHash('sha256').update(jwt, 'utf8').digest()
  return CID.create(1, RAW_CODEC, createDigest(SHA2_256, new Uint8Array(hash))).toString(base32)
}

/**
 * Fast strict check of a token CID string without building a CID object: the pattern fixes version,
 * codec, hash and length; the last character must carry no stray bits (canonical spelling).
 */
export function isCanonicalCidString (value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== CID_STRING_LENGTH || !CID_PATTERN.test(value)) return false
  // 'afkrei' holds 30 of the 32 prefix bits; the next char's top 2 bits are the rest (0x20 -> 00).
  // 36 bytes = 288 bits = 57 full chars + 3 bits: the low 2 bits of the last char must be 0.
  return ALPHABET.indexOf(value[7]) < 8 && (ALPHABET.indexOf(value[CID_STRING_LENGTH - 1]) & 3) === 0
}

/** Strictly parse a token CID: v1, raw, sha2-256, 32-byte digest, canonical base32 lower. */
export function parseCid (value: unknown): Result<CID> {
  if (typeof value !== 'string') return fail(UcanErrorCode.INVALID_CID, 'CID must be a string')
  if (value.length !== CID_STRING_LENGTH || !CID_PATTERN.test(value)) {
    return fail(UcanErrorCode.INVALID_CID, `not a base32 CIDv1 raw sha2-256 (bafkrei...): ${JSON.stringify(value.slice(0, 64))}`)
  }
  let cid: CID
  try {
    cid = CID.parse(value, base32)
  } catch {
    return fail(UcanErrorCode.INVALID_CID, `CID does not decode: ${value}`)
  }
  if (cid.version !== 1 || cid.code !== RAW_CODEC || cid.multihash.code !== SHA2_256 || cid.multihash.size !== 32) {
    return fail(UcanErrorCode.INVALID_CID, `CID must be v1, raw, sha2-256: ${value}`)
  }
  if (cid.toString(base32) !== value) return fail(UcanErrorCode.INVALID_CID, `CID is not in canonical form: ${value}`)
  return ok(cid)
}

export function isCid (value: unknown): value is string {
  return parseCid(value).ok
}
