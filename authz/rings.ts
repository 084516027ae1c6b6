/**
 * Privilege rings: 0 node administration (never held by an agent), 1 irreversible or high impact,
 * 2 ordinary writes, 3 read-only. Lower number = more privilege. The required ring of an ability comes
 * from the policy's ring table (most specific entry wins, ties go to the more privileged ring, an
 * ability with no entry is denied); the effective ring of an invocation is the least privileged ring
 * found anywhere: along the chain, in `maxRing` caveats, and in the receiving node's cap for the org.
 */
import { fail, ok, type Result } from '../identity/result.js'
import { abilityMatches, isValidAbility, patternSpecificity } from './ability.js'
import { PolicyCode } from './errors.js'
import { isEffectivePolicy, type EffectivePolicy, type PolicyDocument } from './policy-document.js'

export const RING_ADMIN = 0
export const RING_HIGH_IMPACT = 1
export const RING_WRITE = 2
export const RING_READ = 3
export const LEAST_PRIVILEGED_RING = RING_READ
/** Cap applied to an invoking org when the receiving node has no `max-ring` for it. */
export const DEFAULT_FOREIGN_MAX_RING = RING_READ

export function isRing (v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 3
}

/** A ring an agent may hold or act at (1..3; ring 0 is never an agent's). */
export function isAgentRing (v: unknown): v is number {
  return isRing(v) && v >= 1
}

export interface RingEntryMatch { readonly ring: number, readonly pattern: string }

/** Required ring of `ability` in one table, with the entry that set it; undefined when unmapped. */
export function lookupRingTable (table: Readonly<Record<string, number>>, ability: string): RingEntryMatch | undefined {
  if (!isValidAbility(ability)) return undefined
  let best: RingEntryMatch | undefined
  let bestSpec = -1
  for (const [pattern, ring] of Object.entries(table)) {
    if (!abilityMatches(pattern, ability)) continue
    const spec = patternSpecificity(pattern)
    if (spec > bestSpec || (spec === bestSpec && best != null && ring < best.ring)) {
      best = { ring, pattern }
      bestSpec = spec
    }
  }
  return best
}

export interface RequiredRing extends RingEntryMatch {
  /** The document whose table set the requirement. */
  readonly file: string
}

/**
 * Required ring across every level: each level that has a ring table must map the ability, and the
 * most privileged requirement wins, so a child table can only tighten. Undefined = unmapped = deny.
 */
export function requiredRingDetail (policy: PolicyDocument | EffectivePolicy, ability: string): RequiredRing | undefined {
  const levels = isEffectivePolicy(policy) ? policy.levels : [{ file: policy.name, document: policy }]
  let best: RequiredRing | undefined
  for (const level of levels) {
    const table = level.document.rings
    if (Object.keys(table).length === 0) continue
    const hit = lookupRingTable(table, ability)
    if (hit == null) return undefined
    if (best == null || hit.ring < best.ring) best = { ...hit, file: level.file }
  }
  return best
}

export function requiredRing (policy: PolicyDocument | EffectivePolicy, ability: string): number | undefined {
  return requiredRingDetail(policy, ability)?.ring
}

export interface EffectiveRingInput {
  /** Ring of each agent along the chain, from its AgentCredential (root first). */
  readonly chainRings: readonly number[]
  /** Every `maxRing` caveat that applies. */
  readonly caveatMaxRings: readonly number[]
  /** Receiving node's max-ring for the invoking org; absent = DEFAULT_FOREIGN_MAX_RING. */
  readonly orgMaxRing?: number
}

export interface EffectiveRing {
  readonly ring: number
  /** What set the ring, for messages, e.g. `chain agent 2 (ring 3)`. */
  readonly cappedBy: string
}

/**
 * The least privileged ring of all inputs, with what capped it. Anything that is not a ring (or ring
 * 0 in a chain, which no agent holds), and an empty chain, count as ring 3: unknown means least privilege.
 */
export function effectiveRingDetail (input: EffectiveRingInput): EffectiveRing {
  let ring = -1
  let cappedBy = ''
  const consider = (r: number, why: string, allowZero: boolean): void => {
    const v = (allowZero ? isRing(r) : isAgentRing(r)) ? r : LEAST_PRIVILEGED_RING
    const label = v === r ? why : `${why}: invalid ring ${String(r)} counted as ${v}`
    if (v > ring) { ring = v; cappedBy = label }
  }
  if (input.chainRings.length === 0) consider(LEAST_PRIVILEGED_RING, 'empty chain', false)
  input.chainRings.forEach((r, i) => { consider(r, `chain agent ${i} (ring ${String(r)})`, false) })
  input.caveatMaxRings.forEach((r, i) => { consider(r, `maxRing caveat ${i} (ring ${String(r)})`, true) })
  const orgMax = input.orgMaxRing ?? DEFAULT_FOREIGN_MAX_RING
  consider(orgMax, input.orgMaxRing == null ? `default max-ring for foreign orgs (${orgMax})` : `max-ring for the invoking org (${orgMax})`, true)
  return { ring, cappedBy }
}

export function effectiveRing (input: EffectiveRingInput): number {
  return effectiveRingDetail(input).ring
}

/** Is `effective` privileged enough for `required`? Agents never act at ring 0. */
export function checkRing (required: number, effective: number | EffectiveRing, ability?: string): Result<number> {
  const eff = typeof effective === 'number' ? { ring: effective, cappedBy: '' } : effective
  const what = ability ?? 'the ability'
  if (!isRing(required)) return fail(PolicyCode.RING_INVALID, `required ring ${String(required)} for ${what} is not a ring 0..3`)
  if (!isAgentRing(eff.ring)) return fail(PolicyCode.RING_INVALID, `effective ring ${String(eff.ring)} is not an agent ring 1..3`)
  if (eff.ring > required) {
    const capped = eff.cappedBy !== '' ? ` (capped by ${eff.cappedBy})` : ''
    return fail(PolicyCode.RING_TOO_LOW, `effective ring ${eff.ring}${capped} but ${what} needs ring ${required}`)
  }
  return ok(eff.ring)
}

/**
 * A delegation may not grant a ring more privileged than its issuer holds: `grantedRing` (a maxRing
 * caveat or an elevation) must be >= `issuerRing` in number.
 */
export function checkRingGrant (issuerRing: number, grantedRing: number, link?: number): Result<number> {
  const at = link != null ? `link ${link}: ` : ''
  const extra = link != null ? { link } : {}
  if (!isRing(grantedRing) || !isRing(issuerRing)) return fail(PolicyCode.RING_INVALID, `${at}ring ${String(grantedRing)} or issuer ring ${String(issuerRing)} is not a ring 0..3`, extra)
  if (grantedRing < issuerRing) return fail(PolicyCode.RING_ESCALATION, `${at}grants ring ${grantedRing} but its issuer holds only ring ${issuerRing}`, extra)
  return ok(grantedRing)
}
