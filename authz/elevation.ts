/**
 * Ring elevation: an explicit, time-limited, org-signed grant of a more privileged ring to one agent,
 * `{ iss: org DID, sub: agent DID, ring, reason, iat, exp, jti }` as a JWT of its own `typ` (so an
 * elevation can never be mistaken for another signed record). Ring 0 is never granted and lifetimes
 * are capped; the node audits every issue and use.
 */
import { randomBytes } from 'node:crypto'
import { decodeJwt, signJwt, verifyJwtSignature } from '../identity/jwt.js'
import { fail, ok, type Result } from '../identity/result.js'
import type { Signer } from '../identity/signer.js'
import { isDidKey } from '../identity/did-key.js'
import { nowSeconds, type Clock } from '../identity/clock.js'
import { isAgentRing } from './rings.js'

export const ELEVATION_TYP = 'trustmesh-elevation+jwt'
/** Longest elevation accepted or issued. */
export const MAX_ELEVATION_TTL_SECONDS = 24 * 60 * 60
export const ELEVATION_CLOCK_SKEW_SECONDS = 60

export const ElevationCode = {
  ELEVATION_MALFORMED: 'ELEVATION_MALFORMED',
  ELEVATION_WRONG_ISSUER: 'ELEVATION_WRONG_ISSUER',
  ELEVATION_WRONG_AGENT: 'ELEVATION_WRONG_AGENT',
  ELEVATION_RING_REFUSED: 'ELEVATION_RING_REFUSED',
  ELEVATION_TTL_TOO_LONG: 'ELEVATION_TTL_TOO_LONG',
  ELEVATION_EXPIRED: 'ELEVATION_EXPIRED',
  ELEVATION_NOT_YET_VALID: 'ELEVATION_NOT_YET_VALID'
} as const

export interface Elevation {
  readonly iss: string
  readonly sub: string
  readonly ring: number
  readonly reason: string
  /** Seconds since the epoch. */
  readonly iat: number
  readonly exp: number
  readonly jti: string
}

export interface ElevationRequest {
  readonly agent: string
  readonly ring: number
  readonly ttlSeconds: number
  readonly reason: string
}

/** Refused issue request (bad ring, TTL or agent); `code` is an ElevationCode. */
export class ElevationInputError extends Error {
  override readonly name = 'ElevationInputError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

function checkShape (ring: unknown, ttl: number, reason: unknown): { code: string, message: string } | undefined {
  if (!isAgentRing(ring)) return { code: ElevationCode.ELEVATION_RING_REFUSED, message: `ring ${String(ring)} cannot be granted (agents hold rings 1..3; ring 0 never)` }
  if (!Number.isInteger(ttl) || ttl <= 0) return { code: ElevationCode.ELEVATION_MALFORMED, message: `lifetime ${ttl}s is not a positive whole number of seconds` }
  if (ttl > MAX_ELEVATION_TTL_SECONDS) return { code: ElevationCode.ELEVATION_TTL_TOO_LONG, message: `lifetime ${ttl}s exceeds the maximum of ${MAX_ELEVATION_TTL_SECONDS}s` }
  if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 1000) return { code: ElevationCode.ELEVATION_MALFORMED, message: 'an elevation needs a reason (1..1000 characters)' }
  return undefined
}

/** Sign an elevation with the org's key. Throws ElevationInputError for a request that would be refused. */
export async function issueElevation (orgSigner: Signer, request: ElevationRequest, clock: Clock): Promise<string> {
  if (!isDidKey(request.agent)) throw new ElevationInputError(ElevationCode.ELEVATION_MALFORMED, `agent ${String(request.agent)} is not a did:key`)
  const bad = checkShape(request.ring, request.ttlSeconds, request.reason)
  if (bad != null) throw new ElevationInputError(bad.code, bad.message)
  const iat = nowSeconds(clock)
  const payload: Elevation = {
    iss: orgSigner.did,
    sub: request.agent,
    ring: request.ring,
    reason: request.reason,
    iat,
    exp: iat + request.ttlSeconds,
    jti: randomBytes(16).toString('base64url')
  }
  return await signJwt({ ...payload }, orgSigner, { typ: ELEVATION_TYP })
}

export interface VerifyElevationOptions {
  /** DID of the org whose elevations this node accepts for the agent. */
  readonly org: string
  readonly clock: Clock
  /** When given, the elevation must be for this agent. */
  readonly agent?: string
}

/** Verify an elevation JWT: type, issuer, signature, agent, ring, lifetime and time. */
export function verifyElevation (jwt: string, options: VerifyElevationOptions): Result<Elevation> {
  const decoded = decodeJwt(jwt)
  if (!decoded.ok) return decoded
  if (decoded.value.header.typ !== ELEVATION_TYP) return fail(ElevationCode.ELEVATION_MALFORMED, `typ ${JSON.stringify(decoded.value.header.typ)} is not ${ELEVATION_TYP}`)
  const p = decoded.value.payload
  const { iss, sub, ring, reason, iat, exp, jti } = p
  if (typeof iss !== 'string' || typeof sub !== 'string' || typeof jti !== 'string' || jti.length === 0 || typeof iat !== 'number' || typeof exp !== 'number' || !Number.isInteger(iat) || !Number.isInteger(exp)) {
    return fail(ElevationCode.ELEVATION_MALFORMED, 'elevation needs string iss, sub, jti and integer iat, exp')
  }
  if (iss !== options.org) return fail(ElevationCode.ELEVATION_WRONG_ISSUER, `elevation issued by ${iss}, expected the org ${options.org}`)
  const sig = verifyJwtSignature(decoded.value, iss)
  if (!sig.ok) return sig
  if (options.agent != null && sub !== options.agent) return fail(ElevationCode.ELEVATION_WRONG_AGENT, `elevation is for ${sub}, not ${options.agent}`)
  const bad = checkShape(ring, exp - iat, reason)
  if (bad != null) return fail(bad.code, bad.message)
  const now = nowSeconds(options.clock)
  if (iat > now + ELEVATION_CLOCK_SKEW_SECONDS) return fail(ElevationCode.ELEVATION_NOT_YET_VALID, `elevation issued at ${iat}, in the future (now ${now})`)
  if (now >= exp + ELEVATION_CLOCK_SKEW_SECONDS) return fail(ElevationCode.ELEVATION_EXPIRED, `elevation expired at ${exp} (now ${now})`)
  return ok({ iss, sub, ring: ring as number, reason: reason as string, iat, exp, jti })
}

/**
 * The agent's ring after applying elevations valid at `nowMs` (milliseconds, like Clock.now()). Only
 * pass elevations verified for this agent; with `agent` given, others are ignored. Never returns 0.
 */
export function applyElevations (agentRing: number, elevations: readonly Elevation[], nowMs: number, agent?: string): number {
  const now = Math.floor(nowMs / 1000)
  let ring = agentRing
  for (const e of elevations) {
    if (agent != null && e.sub !== agent) continue
    if (!isAgentRing(e.ring) || now < e.iat || now >= e.exp) continue
    if (e.ring < ring) ring = e.ring
  }
  return ring
}
