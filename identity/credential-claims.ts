/**
 * Claim checks shared by both credential verification paths (native and did-jwt), so the two
 * accept and reject the same tokens with the same reason codes. Pure functions over the decoded
 * payload and "now" in seconds.
 */
import { isGrantPattern } from './ability.js'
import { parseDidKey } from './did-key.js'
import { publicKeyFromPeerIdString } from './peer-id.js'
import { fail, ok, type Result } from './result.js'
import {
  AGENT_CREDENTIAL, CREDENTIALS_V1_CONTEXT, CredentialErrorCode as C, DEFAULT_SKEW_SECONDS,
  MAX_CAPABILITIES, MAX_JTI_LENGTH, MAX_NAME_LENGTH, MAX_SKEW_SECONDS, NODE_CREDENTIAL,
  type AgentCredentialSubject, type CredentialType, type NodeCredentialSubject, type VerifiedCredential,
  type VerifyCredentialOptions
} from './credential-types.js'

type Payload = Record<string, unknown>

const AGENT_SUBJECT_KEYS = new Set(['id', 'name', 'ring', 'capabilities', 'org'])
const NODE_SUBJECT_KEYS = new Set(['id', 'org', 'orgName', 'replaces'])
const VC_KEYS = new Set(['@context', 'type', 'credentialSubject'])

/** The skew to apply; a value outside 0..60 is a programming error. */
export function resolveSkew (options: Pick<VerifyCredentialOptions, 'skewSeconds'>): number {
  const skew = options.skewSeconds ?? DEFAULT_SKEW_SECONDS
  if (!Number.isInteger(skew) || skew < 0 || skew > MAX_SKEW_SECONDS) {
    throw new RangeError(`skewSeconds must be an integer in 0..${MAX_SKEW_SECONDS}, got ${skew}`)
  }
  return skew
}

function isTimestamp (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0
}

/**
 * Cheap shape checks on the time claims, done before any signature work: `exp` required, and
 * `exp`, `iat`, `nbf` positive integers (so the JS truthiness did-jwt uses means the same as ours).
 */
export function checkTimeClaimShapes (payload: Payload): Result<true> {
  if (payload.exp === undefined || payload.exp === null) return fail(C.MISSING_EXP, 'credential has no exp (expiry is required)')
  if (!isTimestamp(payload.exp)) return fail(C.INVALID_CLAIMS, `exp must be a positive integer, got ${JSON.stringify(payload.exp)}`)
  if (!isTimestamp(payload.iat)) return fail(C.INVALID_CLAIMS, `iat must be a positive integer, got ${JSON.stringify(payload.iat)}`)
  if (payload.nbf !== undefined && !isTimestamp(payload.nbf)) return fail(C.INVALID_CLAIMS, `nbf must be a positive integer, got ${JSON.stringify(payload.nbf)}`)
  return ok(true)
}

/**
 * Validity window, in did-jwt's order (nbf, or iat when there is no nbf, then exp) and then iat
 * always, so both paths name the same first failure.
 */
export function checkValidityWindow (payload: Payload, now: number, skew: number): Result<true> {
  const { nbf, iat, exp } = payload as { nbf?: number, iat: number, exp: number }
  if (nbf !== undefined) {
    if (nbf > now + skew) return fail(C.NOT_YET_VALID, `credential not valid before ${nbf} (now ${now}, skew ${skew}s)`)
  } else if (iat > now + skew) {
    return fail(C.ISSUED_IN_FUTURE, `credential issued in the future: iat ${iat} (now ${now}, skew ${skew}s)`)
  }
  if (exp <= now - skew) return fail(C.EXPIRED, `credential expired at ${exp} (now ${now}, skew ${skew}s)`)
  if (iat > now + skew) return fail(C.ISSUED_IN_FUTURE, `credential issued in the future: iat ${iat} (now ${now}, skew ${skew}s)`)
  return ok(true)
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return v != null && typeof v === 'object' && !Array.isArray(v)
}

function unknownKey (o: Record<string, unknown>, allowed: Set<string>): string | undefined {
  return Object.keys(o).find(k => !allowed.has(k))
}

/** A display name: 1..128 characters, no control characters. */
export function isValidName (v: unknown): v is string {
  // eslint-disable-next-line no-control-regex
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME_LENGTH && !/[\u0000-\u001f\u007f]/.test(v)
}

/** A capability of an AgentCredential: a grant pattern (`records/read`, `records/*`, `*`). */
export function isValidAbility (v: unknown): v is string {
  return isGrantPattern(v)
}

/** Validate an AgentCredential subject issued by `iss`; returns the agent's public key. */
export function checkAgentSubject (s: unknown, iss: string): Result<{ subject: AgentCredentialSubject, key: Uint8Array }> {
  if (!isPlainObject(s)) return fail(C.INVALID_CLAIMS, 'credentialSubject must be an object')
  const extra = unknownKey(s, AGENT_SUBJECT_KEYS)
  if (extra !== undefined) return fail(C.INVALID_CLAIMS, `credentialSubject has unknown field ${JSON.stringify(extra.slice(0, 64))}`)
  const key = parseDidKey(s.id)
  if (!key.ok) return fail(key.error.code, `credentialSubject.id: ${key.error.message}`)
  if (!isValidName(s.name)) return fail(C.INVALID_CLAIMS, 'credentialSubject.name must be 1..128 characters without control characters')
  if (s.ring !== 1 && s.ring !== 2 && s.ring !== 3) {
    return fail(C.INVALID_CLAIMS, `credentialSubject.ring must be 1, 2 or 3 (ring 0 is never held by an agent), got ${JSON.stringify(s.ring)}`)
  }
  if (!Array.isArray(s.capabilities) || s.capabilities.length > MAX_CAPABILITIES) {
    return fail(C.INVALID_CLAIMS, `credentialSubject.capabilities must be an array of at most ${MAX_CAPABILITIES} abilities`)
  }
  const bad = (s.capabilities as unknown[]).findIndex(a => !isValidAbility(a))
  if (bad >= 0) return fail(C.INVALID_CLAIMS, `credentialSubject.capabilities[${bad}] is not a valid ability`)
  if (s.org !== iss) return fail(C.INVALID_CLAIMS, `credentialSubject.org ${String(s.org).slice(0, 80)} is not the issuer ${iss}`)
  return ok({ subject: { id: s.id as string, name: s.name, ring: s.ring, capabilities: [...s.capabilities as string[]], org: iss }, key: key.value })
}

/** Most PeerIds one NodeCredential retires (node key rotations remembered). */
export const MAX_REPLACED_PEER_IDS = 4

/** Validate a NodeCredential subject issued by `iss`; returns the node's public key. */
export function checkNodeSubject (s: unknown, iss: string): Result<{ subject: NodeCredentialSubject, key: Uint8Array }> {
  if (!isPlainObject(s)) return fail(C.INVALID_CLAIMS, 'credentialSubject must be an object')
  const extra = unknownKey(s, NODE_SUBJECT_KEYS)
  if (extra !== undefined) return fail(C.INVALID_CLAIMS, `credentialSubject has unknown field ${JSON.stringify(extra.slice(0, 64))}`)
  const key = publicKeyFromPeerIdString(s.id)
  if (!key.ok) return fail(key.error.code, `credentialSubject.id: ${key.error.message}`)
  if (s.org !== iss) return fail(C.INVALID_CLAIMS, `credentialSubject.org ${String(s.org).slice(0, 80)} is not the issuer ${iss}`)
  if (!isValidName(s.orgName)) return fail(C.INVALID_CLAIMS, 'credentialSubject.orgName must be 1..128 characters without control characters')
  if (s.replaces !== undefined) {
    // the PeerIds this node's key replaced (node key rotation): retired from the credential's iat on
    if (!Array.isArray(s.replaces) || s.replaces.length === 0 || s.replaces.length > MAX_REPLACED_PEER_IDS) return fail(C.INVALID_CLAIMS, `credentialSubject.replaces must be a non-empty array of at most ${MAX_REPLACED_PEER_IDS} PeerIds`)
    for (const [i, p] of s.replaces.entries()) {
      const r = publicKeyFromPeerIdString(p)
      if (!r.ok) return fail(C.INVALID_CLAIMS, `credentialSubject.replaces[${i}]: ${r.error.message}`)
      if (p === s.id) return fail(C.INVALID_CLAIMS, 'credentialSubject.replaces names the node itself')
    }
    return ok({ subject: { id: s.id as string, org: iss, orgName: s.orgName, replaces: [...s.replaces as string[]] }, key: key.value })
  }
  return ok({ subject: { id: s.id as string, org: iss, orgName: s.orgName }, key: key.value })
}

function credentialType (types: unknown, expected: CredentialType | undefined): Result<CredentialType> {
  if (!Array.isArray(types) || types.some(t => typeof t !== 'string') || !types.includes('VerifiableCredential')) {
    return fail(C.WRONG_TYPE, 'vc.type must be an array of strings including "VerifiableCredential"')
  }
  const known = [AGENT_CREDENTIAL, NODE_CREDENTIAL].filter(t => types.includes(t)) as CredentialType[]
  if (known.length !== 1) return fail(C.WRONG_TYPE, `vc.type must name exactly one of ${AGENT_CREDENTIAL}, ${NODE_CREDENTIAL}`)
  if (expected !== undefined && known[0] !== expected) return fail(C.WRONG_TYPE, `expected a ${expected}, got a ${known[0]}`)
  return ok(known[0])
}

/**
 * Every check after the signature: issuer DID, validity window, jti, expected issuer, VC shape
 * and type, subject. `payload` must have passed checkTimeClaimShapes.
 */
export function checkCredentialClaims (payload: Payload, jwt: string, now: number, options: VerifyCredentialOptions): Result<VerifiedCredential> {
  const iss = payload.iss
  const issKey = parseDidKey(iss)
  if (!issKey.ok) return fail(issKey.error.code, `iss: ${issKey.error.message}`)
  const issuer = iss as string
  const window = checkValidityWindow(payload, now, resolveSkew(options))
  if (!window.ok) return window
  if (payload.jti === undefined || payload.jti === null || payload.jti === '') return fail(C.MISSING_JTI, 'credential has no jti')
  if (typeof payload.jti !== 'string' || payload.jti.length > MAX_JTI_LENGTH) return fail(C.INVALID_CLAIMS, `jti must be a string of at most ${MAX_JTI_LENGTH} characters`)
  const expected = options.expectedIssuer
  if (expected !== undefined) {
    const allowed = typeof expected === 'string' ? [expected] : expected
    if (!allowed.includes(issuer)) return fail(C.WRONG_ISSUER, `credential issued by ${issuer}, expected ${allowed.join(' or ')}`)
  }
  const vc = payload.vc
  if (!isPlainObject(vc)) return fail(C.INVALID_CLAIMS, 'credential has no vc object')
  const extra = unknownKey(vc, VC_KEYS)
  if (extra !== undefined) return fail(C.INVALID_CLAIMS, `vc has unknown field ${JSON.stringify(extra.slice(0, 64))}`)
  const ctx = vc['@context']
  if (!Array.isArray(ctx) || ctx[0] !== CREDENTIALS_V1_CONTEXT) return fail(C.INVALID_CLAIMS, `vc["@context"] must start with ${CREDENTIALS_V1_CONTEXT}`)
  const type = credentialType(vc.type, options.expectedType)
  if (!type.ok) return type
  if (typeof payload.sub !== 'string' || !isPlainObject(vc.credentialSubject) || vc.credentialSubject.id !== payload.sub) {
    return fail(C.INVALID_CLAIMS, 'sub must be a string equal to vc.credentialSubject.id')
  }
  const common = {
    jwt,
    issuer,
    jti: payload.jti,
    issuedAt: payload.iat as number,
    expiresAt: payload.exp as number,
    ...(payload.nbf !== undefined ? { notBefore: payload.nbf as number } : {})
  }
  if (type.value === AGENT_CREDENTIAL) {
    const s = checkAgentSubject(vc.credentialSubject, issuer)
    if (!s.ok) return s
    return ok({ ...common, type: AGENT_CREDENTIAL, subject: s.value.subject, subjectPublicKey: s.value.key })
  }
  const s = checkNodeSubject(vc.credentialSubject, issuer)
  if (!s.ok) return s
  return ok({ ...common, type: NODE_CREDENTIAL, subject: s.value.subject, subjectPublicKey: s.value.key })
}
