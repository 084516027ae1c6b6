/**
 * Task plans an agent reuses for a short while. Sending a task takes two exchanges with the node: a
 * plan (which delegation to invoke under, its caveats, a time window inside every link's) and the
 * send of the invocation the agent signed from it. Under one delegation the plan is the same for
 * every task but for the resource and the window, so the agent derives them itself for PLAN_REUSE_MS:
 * the caveats from the delegation's own capabilities (the first that covers the resource, as the node
 * picks them) and the window from the chain's bounds the node gave with the plan. Nothing is trusted
 * from memory: the node checks the signed invocation against everything again when it sends, so a
 * plan gone stale (a revoked or replaced delegation) is refused there, and then forgotten here.
 */
import { capabilityWithin, decodeDelegation, listCapabilities, type Capability } from '../identity/ucan/index.js'
import type { Clock } from '../identity/clock.js'
import type { TaskPlan } from '../protocols/control/task-plan.js'

/** How long a plan is reused. */
export const PLAN_REUSE_MS = 10_000
const MAX_PLANS = 256

/** The plan as the node's agent API answers it. */
export type TaskPlanReply = TaskPlan

export interface PlanRequest { to: string, ability: string, resource: string, proof?: string }

interface Remembered { at: number, plan: TaskPlanReply, capabilities: Capability[], chain: NonNullable<TaskPlanReply['chain']> }

export class PlanMemory {
  readonly #clock: Clock
  readonly #plans = new Map<string, Remembered>()
  #reused = 0

  constructor (clock: Clock) {
    this.#clock = clock
  }

  /** Keyed by target, ability and the proof named; without a proof, also by the exact resource (the node chooses by it). */
  #key (r: PlanRequest): string {
    return r.proof != null ? `${r.to}\n${r.ability}\n${r.proof}` : `${r.to}\n${r.ability}\n\n${r.resource}`
  }

  remember (r: PlanRequest, plan: TaskPlanReply): void {
    if (plan.chain == null || typeof plan.chain.invocationTtlSeconds !== 'number' || plan.audience !== r.to) return
    const d = decodeDelegation(plan.proof.jwt)
    if (!d.ok) return
    if (this.#plans.size >= MAX_PLANS) this.#plans.clear()
    this.#plans.set(this.#key(r), { at: this.#clock.now(), plan, capabilities: listCapabilities(d.value.capabilities), chain: plan.chain })
  }

  /** A plan for `r` derived from one remembered, or undefined (ask the node). */
  reuse (r: PlanRequest): TaskPlanReply | undefined {
    const k = this.#key(r)
    const m = this.#plans.get(k)
    if (m == null) return undefined
    const now = this.#clock.now()
    if (now - m.at >= PLAN_REUSE_MS || now < m.at) { this.#plans.delete(k); return undefined }
    const granted = m.capabilities.find(c => capabilityWithin({ resource: r.resource, ability: r.ability, caveats: c.caveats }, c))
    if (granted == null) return undefined
    const nowS = Math.floor(now / 1000)
    const notBefore = Math.max(nowS - 1, m.chain.notBefore ?? nowS - 1)
    const expiration = Math.min(nowS + m.chain.invocationTtlSeconds, m.chain.expiration ?? nowS + m.chain.invocationTtlSeconds)
    if (expiration <= nowS || notBefore > nowS) return undefined
    this.#reused++
    return { audience: r.to, resource: r.resource, ability: r.ability, caveats: granted.caveats, proof: m.plan.proof, notBefore, expiration, chain: m.chain }
  }

  forget (r: PlanRequest): void {
    this.#plans.delete(this.#key(r))
  }

  /** Plans derived from memory so far (for tests). */
  get reused (): number {
    return this.#reused
  }
}
