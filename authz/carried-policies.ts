/**
 * Policies carried in a delegation chain (`policy` caveats) are enforced by every later hop: the
 * final decision is the conjunction of the local decision and the decision of each carried policy.
 * A carried digest that cannot be resolved to a document is a DENY, never a skip.
 */
import { denyDecision, type Decision, type TraceEntry } from './decision.js'
import { restrictiveness } from './effects.js'
import { PolicyCode } from './errors.js'
import { isPolicyDigest } from './digest.js'

export interface CarriedDecision {
  /** Digest named by the `policy` caveat. */
  readonly digest: string
  /** Decision of that policy for this request; undefined when the document is unknown or unfetchable. */
  readonly decision: Decision | undefined
}

export function evaluateCarriedPolicies (local: Decision, carried: readonly CarriedDecision[]): Decision {
  let result: Decision = local
  const trace: TraceEntry[] = [...local.trace]
  for (const c of carried) {
    if (!isPolicyDigest(c.digest) || c.decision == null) {
      return denyDecision(PolicyCode.POLICY_UNAVAILABLE, `carried policy ${String(c.digest)} is unknown or could not be fetched`, trace)
    }
    for (const t of c.decision.trace) trace.push({ ...t, file: `${c.digest}:${t.file}` })
    if (restrictiveness(c.decision.effect) > restrictiveness(result.effect)) {
      result = { ...c.decision, reason: `carried policy ${c.digest}: ${c.decision.reason}` }
    }
  }
  const effect = result.effect === 'allow' || result.effect === 'require_approval' ? result.effect : 'deny'
  return { effect, code: result.code, reason: result.reason, trace }
}
