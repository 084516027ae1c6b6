/**
 * UCAN 0.10 JWT profile tokens (delegations and invocations share the format). Header
 * `{alg: "EdDSA", typ: "JWT"}`; payload `ucv: "0.10.0"`, `iss`, `aud` (strict did:key), `nbf?`, `exp`
 * (integer seconds or null; our validator requires a number by default), `nnc?`, `fct?` (object),
 * `cap` (strict shape), `prf` (array of CID strings).
 *
 * Decoding validates the schema only; it does not verify the signature (validate-chain does).
 * Unknown top-level payload fields are tolerated and ignored (UCAN and JWT allow extension claims,
 * the signature covers them, and authority comes only from `cap`); unknown header fields other than
 * `crit` are tolerated likewise. `cap` is strict: resources and abilities must parse, caveat arrays are
 * 1..16 plain objects (their fields are checked at validation: UNKNOWN_CAVEAT / INVALID_CAVEAT).
 */
import { decodeJwt, signJwt, type DecodeOptions, type DecodedJwt, type JsonObject } from '../jwt.js'
import { parseDidKey } from '../did-key.js'
import { fail, ok, type Result } from '../result.js'
import type { Signer } from '../signer.js'
import { checkAbility, checkResource, type Capabilities } from './capability.js'
import { checkCaveatShape, type Caveats } from './caveats.js'
import { cidOfJwt, isCanonicalCidString, parseCid } from './cid.js'
import { UcanErrorCode } from './errors.js'

export const UCAN_VERSION = '0.10.0'
export const MAX_PROOFS_PER_TOKEN = 64
export const MAX_NONCE_LENGTH = 256
const MAX_RESOURCES = 64
const MAX_ABILITIES = 64

/** A decoded, schema-checked token; the signature is NOT verified by decoding. */
export interface Delegation {
  readonly cid: string
  readonly jwt: string
  readonly issuer: string
  readonly audience: string
  /** Seconds; undefined = valid from the beginning of time. */
  readonly notBefore: number | undefined
  /** Seconds; null = no expiry (refused by the validator unless `requireExp: false`). */
  readonly expiration: number | null
  readonly nonce: string | undefined
  readonly facts: Readonly<Record<string, unknown>>
  readonly capabilities: Capabilities
  readonly proofs: readonly string[]
  /** Raw decoded JWT, for signature verification. */
  readonly decoded: DecodedJwt
}

export interface IssueDelegationInput {
  audience: string
  capabilities: Capabilities
  /** Seconds since the epoch. */
  notBefore?: number
  /** Seconds since the epoch; `null` only for tests of the MISSING_EXP rule. */
  expiration: number | null
  nonce?: string
  facts?: Record<string, unknown>
  /** Proof JWTs; their CIDs go into `prf` in this order. */
  proofs?: readonly string[]
}

export interface IssuedToken {
  readonly jwt: string
  readonly cid: string
}

/** Build the payload (exported for tests that need to craft variants). */
export function delegationPayload (issuer: string, input: IssueDelegationInput): JsonObject {
  const payload: JsonObject = { ucv: UCAN_VERSION, iss: issuer, aud: input.audience }
  if (input.notBefore !== undefined) payload.nbf = input.notBefore
  payload.exp = input.expiration
  if (input.nonce !== undefined) payload.nnc = input.nonce
  if (input.facts !== undefined) payload.fct = input.facts
  payload.cap = input.capabilities
  payload.prf = (input.proofs ?? []).map(cidOfJwt)
  return payload
}

/** Sign a delegation (or an invocation: same format) with `signer` as issuer. */
export async function issueDelegation (signer: Signer, input: IssueDelegationInput): Promise<IssuedToken> {
  const jwt = await signJwt(delegationPayload(signer.did, input), signer)
  return { jwt, cid: cidOfJwt(jwt) }
}

export interface IssueInvocationInput {
  audience: string
  resource: string
  ability: string
  caveats?: Caveats
  /** The delegation JWT granting the capability (its CID goes into `prf`). */
  proof: string
  nonce: string
  notBefore?: number
  expiration: number
  facts?: Record<string, unknown>
}

/** Sign an invocation: one capability, a nonce, a short expiry, and the delegation that grants it. */
export async function issueInvocation (signer: Signer, input: IssueInvocationInput): Promise<IssuedToken> {
  const d: IssueDelegationInput = {
    audience: input.audience,
    capabilities: { [input.resource]: { [input.ability]: input.caveats ?? [{}] } },
    expiration: input.expiration,
    nonce: input.nonce,
    proofs: [input.proof]
  }
  if (input.notBefore !== undefined) d.notBefore = input.notBefore
  if (input.facts !== undefined) d.facts = input.facts
  return await issueDelegation(signer, d)
}

function isTime (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return v != null && typeof v === 'object' && !Array.isArray(v)
}

function malformed (message: string): { ok: false, error: { code: string, message: string } } {
  return fail(UcanErrorCode.MALFORMED_TOKEN, message)
}

/** Check the `cap` shape strictly. */
export function checkCapabilities (cap: unknown): Result<Capabilities> {
  if (!isPlainObject(cap)) return fail(UcanErrorCode.INVALID_CAPABILITY, 'cap must be an object')
  const resources = Object.entries(cap)
  if (resources.length === 0) return fail(UcanErrorCode.INVALID_CAPABILITY, 'cap grants nothing')
  if (resources.length > MAX_RESOURCES) return fail(UcanErrorCode.INVALID_CAPABILITY, `cap names more than ${MAX_RESOURCES} resources`)
  for (const [resource, abilities] of resources) {
    const r = checkResource(resource)
    if (!r.ok) return r
    if (!isPlainObject(abilities)) return fail(UcanErrorCode.INVALID_CAPABILITY, `cap[${resource}] must be an object of abilities`)
    const entries = Object.entries(abilities)
    if (entries.length === 0) return fail(UcanErrorCode.INVALID_CAPABILITY, `cap[${resource}] has no abilities`)
    if (entries.length > MAX_ABILITIES) return fail(UcanErrorCode.INVALID_CAPABILITY, `cap[${resource}] has more than ${MAX_ABILITIES} abilities`)
    for (const [ability, caveats] of entries) {
      const a = checkAbility(ability)
      if (!a.ok) return a
      const c = checkCaveatShape(caveats, `${ability} on ${resource}`)
      if (!c.ok) return c
    }
  }
  return ok(cap as Capabilities)
}

/** Decode a token and validate its schema. `cid` may be passed when already known (skips hashing). */
export function decodeDelegation (jwt: unknown, options: DecodeOptions & { cid?: string } = {}): Result<Delegation> {
  const d = decodeJwt(jwt, options)
  if (!d.ok) return d
  const { header, payload } = d.value
  if (header.typ !== 'JWT') return malformed(`header typ must be "JWT", got ${JSON.stringify(header.typ)}`)
  if (payload.ucv !== UCAN_VERSION) return malformed(`ucv must be "${UCAN_VERSION}", got ${JSON.stringify(payload.ucv)}`)
  const iss = parseDidKey(payload.iss)
  if (!iss.ok) return fail(iss.error.code, `iss: ${iss.error.message}`)
  const aud = parseDidKey(payload.aud)
  if (!aud.ok) return fail(aud.error.code, `aud: ${aud.error.message}`)
  if (payload.nbf !== undefined && !isTime(payload.nbf)) return malformed('nbf must be an integer number of seconds')
  if (payload.exp !== undefined && payload.exp !== null && !isTime(payload.exp)) return malformed('exp must be an integer number of seconds or null')
  if (payload.nnc !== undefined && (typeof payload.nnc !== 'string' || payload.nnc.length === 0 || payload.nnc.length > MAX_NONCE_LENGTH)) {
    return malformed(`nnc must be a string of 1..${MAX_NONCE_LENGTH} characters`)
  }
  if (payload.fct !== undefined && !isPlainObject(payload.fct)) return malformed('fct must be an object')
  const cap = checkCapabilities(payload.cap)
  if (!cap.ok) return cap
  const prf = payload.prf ?? []
  if (!Array.isArray(prf)) return malformed('prf must be an array of CID strings')
  if (prf.length > MAX_PROOFS_PER_TOKEN) return fail(UcanErrorCode.TOO_MANY_PROOFS, `prf lists ${prf.length} proofs, limit ${MAX_PROOFS_PER_TOKEN}`)
  for (const p of prf) {
    if (isCanonicalCidString(p)) continue
    const c = parseCid(p)
    return fail(UcanErrorCode.INVALID_CID, `prf: ${c.ok ? 'not a canonical token CID' : c.error.message}`)
  }
  return ok({
    cid: options.cid ?? cidOfJwt(jwt as string),
    jwt: jwt as string,
    issuer: payload.iss as string,
    audience: payload.aud as string,
    notBefore: payload.nbf as number | undefined,
    expiration: (payload.exp ?? null) as number | null,
    nonce: payload.nnc as string | undefined,
    facts: (payload.fct ?? {}) as Record<string, unknown>,
    capabilities: cap.value,
    proofs: prf as string[],
    decoded: d.value
  })
}
