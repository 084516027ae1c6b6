/**
 * TrustAttestation: an org's signed statement of its local score of a subject, gossiped to peers,
 * who combine many of them with personalised EigenTrust. A compact JWT with an explicit `typ` so no
 * other signed token (credential, delegation, receipt) can be passed off as one.
 *
 *   header  { alg: 'EdDSA', typ: 'trustmesh-attestation+jwt' }
 *   payload { iss: org DID, sub: subject DID, score: 0..1000, evidence: { ok, error, denied, timeout },
 *             iat, exp, jti }
 */
import { randomUUID } from 'node:crypto'
import { isDidKey } from '../identity/did-key.js'
import { decodeJwt, signJwt, verifyJwtSignature } from '../identity/jwt.js'
import { fail, ok, type Result } from '../identity/result.js'
import type { Signer } from '../identity/signer.js'
import { nowSeconds, type Clock } from '../identity/clock.js'
import type { EvidenceCounts } from './evidence.js'
import { MAX_SCORE, MIN_SCORE, tierOf } from './tiers.js'

export const ATTESTATION_TYP = 'trustmesh-attestation+jwt'
export const DEFAULT_ATTESTATION_TTL_SECONDS = 3600
/** Longest lifetime accepted: an attestation must be refreshed, not live forever. */
export const MAX_ATTESTATION_TTL_SECONDS = 7 * 86_400
const MAX_JTI_LENGTH = 256
const MAX_COUNT = 1e9

export const AttestationErrorCode = {
  INVALID_CLAIMS: 'INVALID_CLAIMS',
  WRONG_TYPE: 'WRONG_TYPE',
  ISSUER_NOT_ENROLLED: 'ISSUER_NOT_ENROLLED',
  SELF_ATTESTATION: 'SELF_ATTESTATION',
  EXPIRED: 'EXPIRED',
  NOT_YET_VALID: 'NOT_YET_VALID',
  TTL_TOO_LONG: 'TTL_TOO_LONG'
} as const

export interface Attestation {
  readonly iss: string
  readonly sub: string
  readonly score: number
  readonly evidence: EvidenceCounts
  readonly iat: number
  readonly exp: number
  readonly jti: string
}

export interface AttestationInput {
  sub: string
  score: number
  evidence: EvidenceCounts
  /** Defaults to a random UUID. */
  jti?: string
}

export interface VerifyAttestationOptions {
  /** Whether a DID is the root DID of an enrolled org. */
  isEnrolledOrg: (did: string) => boolean
  clock: Clock
  skewSeconds?: number
  /** Org DID of an agent DID, when known: attestations by an org about its own agents are refused. */
  orgOf?: (did: string) => string | undefined
}

function isCount (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_COUNT
}

/** Shape check of a payload; no signature, issuer or time check. */
export function parseAttestationClaims (payload: Record<string, unknown>): Result<Attestation> {
  const bad = (m: string): Result<Attestation> => fail(AttestationErrorCode.INVALID_CLAIMS, m)
  const { iss, sub, score, evidence, iat, exp, jti } = payload
  if (!isDidKey(iss)) return bad('iss must be a did:key')
  if (!isDidKey(sub)) return bad('sub must be a did:key')
  if (typeof score !== 'number' || !Number.isInteger(score) || score < MIN_SCORE || score > MAX_SCORE) return bad(`score must be an integer in ${MIN_SCORE}..${MAX_SCORE}`)
  if (evidence == null || typeof evidence !== 'object' || Array.isArray(evidence)) return bad('evidence must be an object of counts')
  const e = evidence as Record<string, unknown>
  if (Object.keys(e).some(k => !['ok', 'error', 'denied', 'timeout'].includes(k))) return bad('evidence has unknown fields')
  if (!isCount(e.ok) || !isCount(e.error) || !isCount(e.denied) || !isCount(e.timeout)) return bad('evidence.ok/error/denied/timeout must be non-negative integers')
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) return bad('iat must be an integer (s)')
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp)) return bad('exp is required and must be an integer (s)')
  if (exp <= iat) return bad('exp must be after iat')
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) return bad(`jti must be a non-empty string of at most ${MAX_JTI_LENGTH} characters`)
  return ok({ iss, sub, score, evidence: { ok: e.ok, error: e.error, denied: e.denied, timeout: e.timeout }, iat, exp, jti })
}

/** Sign an attestation as `orgSigner` about `input.sub`, valid for `ttlSeconds` from the clock's now. */
export async function issueAttestation (orgSigner: Signer, input: AttestationInput, clock: Clock, ttlSeconds = DEFAULT_ATTESTATION_TTL_SECONDS): Promise<string> {
  if (!(Number.isSafeInteger(ttlSeconds) && ttlSeconds > 0 && ttlSeconds <= MAX_ATTESTATION_TTL_SECONDS)) {
    throw new RangeError(`ttlSeconds must be an integer in 1..${MAX_ATTESTATION_TTL_SECONDS}`)
  }
  if (input.sub === orgSigner.did) throw new RangeError('an org cannot attest to itself')
  const iat = nowSeconds(clock)
  const payload = { iss: orgSigner.did, sub: input.sub, score: input.score, evidence: { ...input.evidence }, iat, exp: iat + ttlSeconds, jti: input.jti ?? randomUUID() }
  const parsed = parseAttestationClaims(payload)
  if (!parsed.ok) throw new RangeError(`invalid attestation: ${parsed.error.message}`)
  return await signJwt(payload, orgSigner, { typ: ATTESTATION_TYP })
}

/**
 * Verify a gossiped attestation: shape, explicit type, claims, issuer enrolled, signature by the
 * issuer, not about the issuer or its own agents, within its lifetime (with skew). Fails closed.
 */
export function verifyAttestation (jwt: unknown, options: VerifyAttestationOptions): Result<Attestation> {
  const skew = options.skewSeconds ?? 60
  const decoded = decodeJwt(jwt)
  if (!decoded.ok) return decoded
  if (decoded.value.header.typ !== ATTESTATION_TYP) return fail(AttestationErrorCode.WRONG_TYPE, `typ ${JSON.stringify(decoded.value.header.typ)} is not ${ATTESTATION_TYP}`)
  const claims = parseAttestationClaims(decoded.value.payload)
  if (!claims.ok) return claims
  const a = claims.value
  let enrolled = false
  try { enrolled = options.isEnrolledOrg(a.iss) === true } catch { enrolled = false }
  if (!enrolled) return fail(AttestationErrorCode.ISSUER_NOT_ENROLLED, `issuer ${a.iss} is not an enrolled org`)
  const sig = verifyJwtSignature(decoded.value, a.iss)
  if (!sig.ok) return sig
  if (a.sub === a.iss) return fail(AttestationErrorCode.SELF_ATTESTATION, `${a.iss} attests to itself`)
  let subOrg: string | undefined
  try { subOrg = options.orgOf?.(a.sub) } catch { return fail(AttestationErrorCode.SELF_ATTESTATION, `cannot tell whether ${a.sub} belongs to ${a.iss}`) }
  if (subOrg === a.iss) return fail(AttestationErrorCode.SELF_ATTESTATION, `${a.iss} attests to its own agent ${a.sub}`)
  if (a.exp - a.iat > MAX_ATTESTATION_TTL_SECONDS) return fail(AttestationErrorCode.TTL_TOO_LONG, `lifetime ${a.exp - a.iat} s exceeds ${MAX_ATTESTATION_TTL_SECONDS} s`)
  const now = nowSeconds(options.clock)
  if (a.iat > now + skew) return fail(AttestationErrorCode.NOT_YET_VALID, `issued ${a.iat - now} s in the future`)
  if (now > a.exp + skew) return fail(AttestationErrorCode.EXPIRED, `expired ${now - a.exp} s ago`)
  return ok(a)
}

/**
 * Whether a new local score should be gossiped: always the first time, then when it moved by at
 * least `threshold` points or crossed a tier boundary (a `minTrust` decision may depend on it).
 */
export function shouldPublish (previousScore: number | undefined, newScore: number, threshold: number): boolean {
  if (previousScore === undefined) return true
  if (Math.abs(newScore - previousScore) >= threshold) return true
  return tierOf(newScore) !== tierOf(previousScore)
}
