/**
 * Signed revocation records: a JWT `{ iss, revoke: <cid>, iat, jti? , reason? }` with header typ
 * `trustmesh-revocation+jwt`. A record is valid only if its signature checks against `iss` and `iss`
 * is an issuer in the revoked token's chain, at or above the token (UCAN revocation), or the org that
 * issued the root. Records are irreversible; the node gossips and persists them, then calls
 * `ChainCache.invalidate(revoke)`.
 */
import { decodeJwt, signJwt, verifyJwtSignature, type DecodeOptions } from '../jwt.js'
import { parseDidKey } from '../did-key.js'
import { fail, ok, type Result } from '../result.js'
import type { Signer } from '../signer.js'
import type { Clock } from '../clock.js'
import { parseCid } from './cid.js'
import { shortDid, UcanErrorCode } from './errors.js'

export const REVOCATION_TYP = 'trustmesh-revocation+jwt'
const MAX_REASON_LENGTH = 256

export interface RevocationRecord {
  readonly issuer: string
  /** CID of the revoked token. */
  readonly revoke: string
  /** Seconds since the epoch. */
  readonly issuedAt: number
  readonly reason: string | undefined
  readonly jwt: string
}

export interface VerifyRevocationOptions extends DecodeOptions {
  /**
   * Issuers allowed to revoke `cid`: the issuers of the token and of every proof above it (and the
   * org that issued the root). `undefined` when the token is unknown here: fail closed
   * (REVOCATION_UNKNOWN_TOKEN), so a node may park the record until it learns the chain.
   */
  chainIssuersOf: (cid: string) => readonly string[] | undefined
  /** Milliseconds; when set, `iat` more than `skewSeconds` in the future is refused. */
  now?: number
  skewSeconds?: number
}

/** Sign a revocation of `cid` by `signer`. */
export async function issueRevocation (signer: Signer, cid: string, clock: Clock, reason?: string): Promise<string> {
  const parsed = parseCid(cid)
  if (!parsed.ok) throw new TypeError(parsed.error.message)
  const payload: Record<string, unknown> = { iss: signer.did, revoke: cid, iat: Math.floor(clock.now() / 1000) }
  if (reason !== undefined) payload.reason = reason.slice(0, MAX_REASON_LENGTH)
  return await signJwt(payload, signer, { typ: REVOCATION_TYP })
}

/** Verify a revocation record's shape, signature and authority. */
export function verifyRevocation (jwt: unknown, options: VerifyRevocationOptions): Result<RevocationRecord> {
  const d = decodeJwt(jwt, options)
  if (!d.ok) return d
  const { header, payload } = d.value
  if (header.typ !== REVOCATION_TYP) return fail(UcanErrorCode.INVALID_REVOCATION, `header typ must be ${REVOCATION_TYP}`)
  const iss = parseDidKey(payload.iss)
  if (!iss.ok) return fail(iss.error.code, `iss: ${iss.error.message}`)
  const cid = parseCid(payload.revoke)
  if (!cid.ok) return fail(UcanErrorCode.INVALID_REVOCATION, `revoke: ${cid.error.message}`)
  const iat = payload.iat
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) return fail(UcanErrorCode.INVALID_REVOCATION, 'iat must be an integer number of seconds')
  if (payload.reason !== undefined && (typeof payload.reason !== 'string' || payload.reason.length > MAX_REASON_LENGTH)) {
    return fail(UcanErrorCode.INVALID_REVOCATION, 'reason must be a short string')
  }
  if (options.now !== undefined && iat > Math.floor(options.now / 1000) + (options.skewSeconds ?? 60)) {
    return fail(UcanErrorCode.INVALID_REVOCATION, 'revocation is issued in the future')
  }
  const sig = verifyJwtSignature(d.value, payload.iss as string)
  if (!sig.ok) return sig
  const issuer = payload.iss as string
  const revoke = payload.revoke as string
  const allowed = options.chainIssuersOf(revoke)
  if (allowed === undefined) return fail(UcanErrorCode.REVOCATION_UNKNOWN_TOKEN, `token ${revoke} is not known, cannot decide who may revoke it`)
  if (!allowed.includes(issuer)) {
    return fail(UcanErrorCode.REVOCATION_UNAUTHORISED, `${shortDid(issuer)} is not an issuer in the chain of ${revoke} (allowed: ${allowed.map(shortDid).join(', ')})`)
  }
  return ok({ issuer, revoke, issuedAt: iat, reason: payload.reason as string | undefined, jwt: jwt as string })
}
