/**
 * Evaluate an effective policy for one request. Fails closed: no policy, a malformed request, an
 * unmapped ability, a ring too low, a trust condition without a score, an exception: all DENY with
 * a code. Otherwise every level is evaluated on its own (its most restrictive matching rule, else its
 * default) and the most restrictive level wins, so no child can loosen a parent at evaluation time,
 * whatever the loader let through.
 */
import type { Clock } from '../identity/clock.js'
import { isValidAbility } from './ability.js'
import { denyDecision, type Decision, type TraceEntry } from './decision.js'
import { restrictiveness } from './effects.js'
import { PolicyCode } from './errors.js'
import { matchRule, type PolicyRequest } from './match.js'
import { levelDefault, type EffectivePolicy, type Effect, type PolicyLevel, type PolicyRule } from './policy-document.js'
import { checkRing, isAgentRing, requiredRingDetail } from './rings.js'
import { TRUST_MAX } from './policy-document.js'

export type { PolicyRequest } from './match.js'

export interface EvaluateOptions {
  /** Reserved for time-dependent conditions; evaluation never reads the system time. */
  clock?: Clock
}

function codeFor (effect: Effect): string {
  return effect === 'allow' ? PolicyCode.ALLOW : effect === 'deny' ? PolicyCode.POLICY_DENY : PolicyCode.APPROVAL_REQUIRED
}

function describeRule (level: PolicyLevel, rule: PolicyRule): string {
  return `rule '${rule.id}' of ${level.file}${rule.reason != null ? ` (${rule.reason})` : ''}`
}

/** One level on its own: its most restrictive matching rule, else its default (or abstain). */
export function evaluateLevel (level: PolicyLevel, index: number, req: PolicyRequest): TraceEntry {
  let best: TraceEntry | undefined
  let trustNearMiss: PolicyRule | undefined
  let ringNearMiss: PolicyRule | undefined
  const consider = (entry: TraceEntry): void => {
    if (best == null || restrictiveness(entry.effect) > restrictiveness(best.effect)) best = entry
    // of two approval rules, the one that asks for more approvals decides
    else if (entry.effect === 'require_approval' && best.effect === 'require_approval' && (entry.approvals?.count ?? 1) > (best.approvals?.count ?? 1)) best = entry
  }
  for (const rule of level.document.rules) {
    const { misses, unknown } = matchRule(rule, req)
    if (misses.length === 0 && unknown.includes('trust')) {
      consider({ level: index, file: level.file, rule: rule.id, effect: 'deny', code: PolicyCode.TRUST_UNKNOWN, reason: `${describeRule(level, rule)} needs a trust score for ${req.callerOrg} and none is known` })
      continue
    }
    const loosening = restrictiveness(rule.effect) < restrictiveness('deny')
    if (misses.length === 1 && loosening) {
      if (misses[0] === 'trust') trustNearMiss ??= rule
      if (misses[0] === 'ring') ringNearMiss ??= rule
    }
    if (misses.length > 0) continue
    // an undecidable argument condition never lets an allow match, and always lets a restriction match
    if (unknown.length > 0 && rule.effect === 'allow') continue
    consider({ level: index, file: level.file, rule: rule.id, effect: rule.effect, code: codeFor(rule.effect), reason: `${describeRule(level, rule)}: ${rule.effect}`, ...(rule.approvals != null ? { approvals: rule.approvals } : {}) })
  }
  if (best != null) return best
  const def = levelDefault(level.document)
  if (def === 'abstain') return { level: index, file: level.file, effect: 'abstain', code: 'ABSTAIN', reason: `no rule of ${level.file} matched and it sets no default; its parents decide` }
  let code = codeFor(def)
  let reason = `no rule of ${level.file} matched; default ${def}`
  if (def === 'deny' && trustNearMiss != null) {
    const min = trustNearMiss.match.trust?.min ?? 0
    code = PolicyCode.TRUST_TOO_LOW
    reason = `${describeRule(level, trustNearMiss)} needs trust >= ${min}, caller has ${String(req.trust)}; default deny`
  } else if (def === 'deny' && ringNearMiss != null) {
    code = PolicyCode.RING_TOO_LOW
    reason = `${describeRule(level, ringNearMiss)} needs ring ${JSON.stringify(ringNearMiss.match.ring)}, request is at ring ${req.ring}; default deny`
  }
  return { level: index, file: level.file, effect: def, code, reason }
}

function requestError (req: PolicyRequest): string | undefined {
  if (req == null || typeof req !== 'object') return 'request is not an object'
  if (!isValidAbility(req.ability)) return `ability ${JSON.stringify(req.ability)} is not a valid ability`
  for (const k of ['resource', 'callerOrg', 'callerAgent', 'selfOrg'] as const) {
    if (typeof req[k] !== 'string' || req[k].length === 0) return `${k} must be a non-empty string`
  }
  if (req.trust !== undefined && (typeof req.trust !== 'number' || !Number.isFinite(req.trust) || req.trust < 0 || req.trust > TRUST_MAX)) {
    return `trust ${String(req.trust)} is not a score 0..${TRUST_MAX}`
  }
  return undefined
}

function evaluateUnsafe (policy: EffectivePolicy | undefined, req: PolicyRequest): Decision {
  if (policy == null || !Array.isArray(policy.levels) || policy.levels.length === 0) {
    return denyDecision(PolicyCode.NO_POLICY, 'no policy is loaded; default deny')
  }
  const badReq = requestError(req)
  if (badReq != null) return denyDecision(PolicyCode.BAD_REQUEST, badReq)
  if (!isAgentRing(req.ring)) return denyDecision(PolicyCode.RING_INVALID, `request ring ${String(req.ring)} is not an agent ring 1..3`)

  const required = requiredRingDetail(policy, req.ability)
  if (required == null) {
    const files = policy.levels.filter((l) => Object.keys(l.document.rings).length > 0).map((l) => l.file)
    const reason = `ability ${req.ability} has no ring entry${files.length > 0 ? ` in ${files.join(', ')}` : ' (no ring table loaded)'}; unmapped abilities are denied`
    return denyDecision(PolicyCode.UNMAPPED_ABILITY, reason, [{ level: -1, file: files[0] ?? '', effect: 'deny', code: PolicyCode.UNMAPPED_ABILITY, reason }])
  }
  const ringOk = checkRing(required.ring, { ring: req.ring, cappedBy: typeof req.ringCappedBy === 'string' ? req.ringCappedBy : '' }, req.ability)
  if (!ringOk.ok) {
    const reason = `${ringOk.error.message} (ring entry '${required.pattern}' of ${required.file})`
    return denyDecision(ringOk.error.code, reason, [{ level: -1, file: required.file, effect: 'deny', code: ringOk.error.code, reason }])
  }

  const trace = policy.levels.map((level, i) => evaluateLevel(level, i, req))
  let decisive: TraceEntry | undefined
  for (const t of trace) if (t.effect !== 'abstain' && (decisive == null || restrictiveness(t.effect) > restrictiveness(decisive.effect))) decisive = t
  if (decisive == null) return denyDecision(PolicyCode.POLICY_DENY, 'no level of the policy decided; default deny', trace)
  const effect: Effect = decisive.effect === 'allow' || decisive.effect === 'require_approval' ? decisive.effect : 'deny'
  return { effect, code: decisive.code, reason: `level ${decisive.level} (${decisive.file}): ${decisive.reason}`, trace }
}

/** Decide a request against an effective policy. Never throws; any exception is DENY `POLICY_ERROR`. */
export function evaluatePolicy (policy: EffectivePolicy | undefined, request: PolicyRequest, options: EvaluateOptions = {}): Decision {
  void options
  try {
    return evaluateUnsafe(policy, request)
  } catch (err) {
    return denyDecision(PolicyCode.POLICY_ERROR, `policy evaluation failed: ${err instanceof Error ? err.message : String(err)}`)
  }
}
