/**
 * Does one rule match one request? Each condition answers match, miss or unknown (the value it needs
 * is missing or of the wrong type). Unknown never helps the caller: an allow rule that cannot be
 * decided does not match, a deny or require_approval rule that cannot be decided does, and a trust
 * condition with no known score makes the whole decision a deny (the evaluator does that).
 */
import { abilityMatches, resourceHasPrefix } from './ability.js'
import type { ArgCondition, PolicyRule, Scalar } from './policy-document.js'

export interface PolicyRequest {
  readonly ability: string
  readonly resource: string
  readonly callerOrg: string
  readonly callerAgent: string
  readonly selfOrg: string
  /** Effective ring of the invocation (see effectiveRing). */
  readonly ring: number
  /** What capped the ring (effectiveRingDetail().cappedBy), for RING_TOO_LOW messages. */
  readonly ringCappedBy?: string
  /** Trust score of the caller (0..1000), when known. */
  readonly trust?: number
  readonly args?: unknown
}

export type Dimension = 'ability' | 'resource' | 'callerOrg' | 'ring' | 'trust' | 'args'

export interface RuleMatchOutcome {
  /** Conditions the request fails. */
  readonly misses: readonly Dimension[]
  /** Conditions that could not be decided. */
  readonly unknown: readonly Dimension[]
}

const HAS = Object.prototype.hasOwnProperty

/** Value at a dotted path of own properties only; undefined when absent. */
export function argAt (args: unknown, path: string): unknown {
  let cur: unknown = args
  for (const seg of path.split('.')) {
    if (cur == null || typeof cur !== 'object' || !HAS.call(cur, seg)) return undefined
    cur = (cur as Record<string, unknown>)[seg]
  }
  return cur
}

type Tri = 'yes' | 'no' | 'unknown'

function isScalar (v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
}

/** Evaluate one argument condition (all its operators must hold). */
export function argConditionHolds (cond: ArgCondition, value: unknown): Tri {
  if (value === undefined) return 'unknown'
  const checks: Tri[] = []
  if (cond.eq !== undefined) checks.push(isScalar(value) ? (value === cond.eq ? 'yes' : 'no') : 'unknown')
  const num = (bound: number | undefined, test: (v: number, b: number) => boolean): void => {
    if (bound === undefined) return
    checks.push(typeof value === 'number' && Number.isFinite(value) ? (test(value, bound) ? 'yes' : 'no') : 'unknown')
  }
  num(cond.lte, (v, b) => v <= b)
  num(cond.gte, (v, b) => v >= b)
  num(cond.lt, (v, b) => v < b)
  num(cond.gt, (v, b) => v > b)
  if (cond.in !== undefined) checks.push(isScalar(value) ? (cond.in.includes(value) ? 'yes' : 'no') : 'unknown')
  if (cond.maxLength !== undefined) {
    checks.push(typeof value === 'string' || Array.isArray(value) ? (value.length <= cond.maxLength ? 'yes' : 'no') : 'unknown')
  }
  if (checks.includes('no')) return 'no'
  if (checks.includes('unknown')) return 'unknown'
  return 'yes'
}

function callerOrgMatches (entry: string, req: PolicyRequest): boolean {
  if (entry === 'self') return req.callerOrg === req.selfOrg
  if (entry === 'partner') return req.callerOrg !== req.selfOrg
  return entry === req.callerOrg
}

export function matchRule (rule: PolicyRule, req: PolicyRequest): RuleMatchOutcome {
  const m = rule.match
  const misses: Dimension[] = []
  const unknown: Dimension[] = []
  if (m.ability != null && !m.ability.some((p) => abilityMatches(p, req.ability))) misses.push('ability')
  if (m.resource != null && !m.resource.some((p) => resourceHasPrefix(p, req.resource))) misses.push('resource')
  if (m.callerOrg != null && !m.callerOrg.some((e) => callerOrgMatches(e, req))) misses.push('callerOrg')
  if (m.ring != null) {
    if ((m.ring.min != null && req.ring < m.ring.min) || (m.ring.max != null && req.ring > m.ring.max)) misses.push('ring')
  }
  if (m.trust != null) {
    if (typeof req.trust !== 'number' || !Number.isFinite(req.trust)) unknown.push('trust')
    else if (req.trust < m.trust.min) misses.push('trust')
  }
  if (m.args != null) {
    let sawUnknown = false
    let sawNo = false
    for (const [path, cond] of Object.entries(m.args)) {
      const r = argConditionHolds(cond, argAt(req.args, path))
      if (r === 'no') sawNo = true
      else if (r === 'unknown') sawUnknown = true
    }
    if (sawNo) misses.push('args')
    else if (sawUnknown) unknown.push('args')
  }
  return { misses, unknown }
}
