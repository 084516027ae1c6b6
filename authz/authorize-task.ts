/**
 * Rule 8 at the executing node: rings and policy. The effective ring is the least privileged of
 * every agent along the chain, every `maxRing` caveat, and this node's max-ring for the invoking org;
 * the invocation's caveats must hold (a disjunction of conjunctions); then the node's own policy, and
 * every policy carried in the chain, decide. Anything undecidable is a DENY with its reason.
 */
import type { ValidatedChain } from '../identity/ucan/index.js'
import type { Decision, DecisionCause } from './decision.js'
import { evaluatePolicy } from './evaluate.js'
import { mostRestrictive } from './effects.js'
import type { EffectivePolicy } from './policy-document.js'
import type { PrincipalInfo } from './principal.js'
import { effectiveRingDetail } from './rings.js'

export type { PrincipalInfo } from './principal.js'

export interface AuthzInput {
  chain: ValidatedChain
  /** Agents along the chain that issued a delegation (the root org excluded), root first, then the invoker. */
  principals: readonly PrincipalInfo[]
  invoker: PrincipalInfo
  selfOrg: string
  /** Max ring for the invoker's org (enrolment), 1 for this org's own agents. */
  orgMaxRing: number
  policy: EffectivePolicy | undefined
  args: unknown
  /** Trust score of the invoker's org (0..1000), if known. */
  trust?: number
  /**
   * Decision of a policy carried in the chain (`policy` caveat) for this request at the effective ring;
   * `owner` is the org whose agent (or root) first put the caveat on the chain (the policy's `self`).
   * undefined = unavailable, which is a DENY.
   */
  carried?: (digest: string, at: CarriedContext) => Decision | undefined
}

export interface CarriedContext {
  ring: number
  cappedBy: string
  owner: string
}

export interface AuthzDecision {
  effect: 'allow' | 'deny' | 'require_approval'
  code: string
  reason: string
  ring: number
  trace: Decision['trace']
  /** For a deny made of several findings (every caveat object missed), each finding with its own code. */
  causes?: readonly DecisionCause[]
}

/** Why one caveat object does not hold: the code it contributes, the caveat field, and the words. */
export interface CaveatMiss extends DecisionCause {
  readonly code: 'UNKNOWN_CAVEAT' | 'POLICY_UNAVAILABLE' | 'CARRIED_POLICY_DENY' | 'CAVEAT_NOT_MET'
  readonly field: string
}

/** When no caveat object holds, the most telling code among the misses decides the decision's code. */
const MISS_PRECEDENCE: ReadonlyArray<CaveatMiss['code']> = ['UNKNOWN_CAVEAT', 'POLICY_UNAVAILABLE', 'CARRIED_POLICY_DENY', 'CAVEAT_NOT_MET']

function deny (code: string, reason: string, ring: number, trace: Decision['trace'] = [], causes?: readonly DecisionCause[]): AuthzDecision {
  return causes === undefined ? { effect: 'deny', code, reason, ring, trace } : { effect: 'deny', code, reason, ring, trace, causes }
}

function miss (code: CaveatMiss['code'], field: string, message: string): CaveatMiss {
  return { code, field, message }
}

/** The org that first put `digest` on the chain: the root org, or the org of the agent whose link added it. */
function ownerOf (digest: string, input: AuthzInput): string {
  for (const l of input.chain.links) {
    if (!l.capability.caveats.some(c => c.policy === digest)) continue
    if (l.index === 0) return l.issuer
    return input.principals.find(p => p.did === l.issuer)?.org ?? input.invoker.org
  }
  return input.invoker.org
}

/** Does one caveat object hold for this request? Returns the failed condition, or undefined. */
function caveatMiss (c: Record<string, unknown>, input: AuthzInput, ring: number, cappedBy: string): CaveatMiss | undefined {
  for (const [k, v] of Object.entries(c)) {
    switch (k) {
      case 'maxAmount': {
        const amount = (input.args as { amount?: unknown } | undefined)?.amount
        if (typeof amount !== 'number' || typeof v !== 'number' || !(amount <= v)) return miss('CAVEAT_NOT_MET', k, `maxAmount ${String(v)} (args.amount ${JSON.stringify(amount)})`)
        break
      }
      case 'minTrust':
        if (input.trust == null) return miss('CAVEAT_NOT_MET', k, `minTrust ${String(v)} (trust of ${input.invoker.org} unknown)`)
        if (typeof v !== 'number' || input.trust < v) return miss('CAVEAT_NOT_MET', k, `minTrust ${String(v)} (trust ${input.trust})`)
        break
      case 'maxRing':
        if (typeof v !== 'number' || ring < v) return miss('CAVEAT_NOT_MET', k, `maxRing ${String(v)} (effective ring ${ring})`)
        break
      case 'policy': {
        if (typeof v !== 'string') return miss('CAVEAT_NOT_MET', k, 'policy digest is not a string')
        const d = input.carried?.(v, { ring, cappedBy, owner: ownerOf(v, input) })
        if (d == null) return miss('POLICY_UNAVAILABLE', k, `policy ${v} is not available here`)
        // require_approval is not a miss: the conjunction below turns it into an approval
        if (d.effect === 'deny') return miss('CARRIED_POLICY_DENY', k, `carried policy ${v} says ${d.effect}: ${d.reason}`)
        break
      }
      default:
        return miss('UNKNOWN_CAVEAT', k, `unknown caveat field ${k}`)
    }
  }
  return undefined
}

export function authorizeTask (input: AuthzInput): AuthzDecision {
  const cap = input.chain.capability
  const caveatMaxRings: number[] = []
  for (const c of cap.caveats) if (typeof c.maxRing === 'number') caveatMaxRings.push(c.maxRing)
  const eff = effectiveRingDetail({
    chainRings: [...input.principals.map(p => p.ring), input.invoker.ring],
    // the caveat array is a disjunction: only a maxRing present in every object binds for sure
    caveatMaxRings: cap.caveats.length > 0 && cap.caveats.every(c => typeof c.maxRing === 'number') ? [Math.min(...caveatMaxRings)] : [],
    orgMaxRing: input.orgMaxRing
  })
  const misses: CaveatMiss[] = []
  const holds = cap.caveats.some(c => {
    const m = caveatMiss(c as Record<string, unknown>, input, eff.ring, eff.cappedBy)
    if (m != null) misses.push(m)
    return m == null
  })
  if (!holds) {
    const code = MISS_PRECEDENCE.find(c => misses.some(m => m.code === c)) ?? 'CAVEAT_NOT_MET'
    return deny(code, `no caveat of the delegation holds: ${misses.map(m => m.message).join('; ')}`, eff.ring, [], misses)
  }
  const local = evaluatePolicy(input.policy, {
    ability: cap.ability,
    resource: cap.resource,
    callerOrg: input.invoker.org,
    callerAgent: input.invoker.did,
    selfOrg: input.selfOrg,
    ring: eff.ring,
    ringCappedBy: eff.cappedBy,
    ...(input.trust != null ? { trust: input.trust } : {}),
    args: input.args
  })
  // the caveats already held; policies carried in the chain must also allow (conjunction)
  const decisions: Decision[] = [local]
  for (const c of cap.caveats) {
    if (typeof c.policy === 'string') {
      const d = input.carried?.(c.policy, { ring: eff.ring, cappedBy: eff.cappedBy, owner: ownerOf(c.policy, input) })
      // unavailable here (it was available above): fail closed
      decisions.push(d ?? { effect: 'deny', code: 'POLICY_UNAVAILABLE', reason: `carried policy ${c.policy} is not available here`, trace: [] })
    }
  }
  const effect = mostRestrictive(decisions.map(d => d.effect))
  const decider = decisions.find(d => d.effect === effect) ?? local
  return { effect, code: decider.code, reason: decider.reason, ring: eff.ring, trace: decisions.flatMap(d => d.trace) }
}
