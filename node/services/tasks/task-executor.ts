/**
 * The receiving end of a task, where every rule is checked again: the chain (signatures, alignment,
 * attenuation, time, depth, revocation, freshness), that the invoker's own org sent it (never a
 * forwarded bearer token), rings and policies, then the audit entry, then revocation once more just
 * before the local agent runs it. Every refusal is a signed receipt with its reason code.
 */
import { decodeDelegation } from '../../../identity/ucan/index.js'
import type { NodeContext } from '../../node-context.js'
import type { ChainChecker } from '../delegation/chain-checker.js'
import type { PrincipalBook, PrincipalInfo } from '../delegation/principal-book.js'
import type { ReplayGuard } from '../delegation/replay-guard.js'
import type { TaskRequest, TaskReply } from '../../../protocols/task/messages.js'
import { authorizeTask } from '../../../authz/authorize-task.js'
import { issueReceipt, type TaskOutcome } from './receipt.js'
import type { TaskLog } from './task-log.js'
import { SUBLEVELS } from '../../store/sublevels.js'
import { ElevationBook, type StoredElevation } from '../approvals/elevation-book.js'

/** How long to wait for carried policies to be fetched before deciding without them (a DENY). */
const CARRIED_POLICY_WAIT_MS = 5_000

export interface ExecutorDeps {
  ctx: NodeContext
  checker: ChainChecker
  principals: PrincipalBook
  replay: ReplayGuard
  tasks: TaskLog
  taskTimeoutMs?: number
}

export interface Sender { orgDid: string }

export class TaskExecutor {
  readonly #d: ExecutorDeps
  readonly #elevations: ElevationBook

  constructor (deps: ExecutorDeps) {
    this.#d = deps
    this.#elevations = new ElevationBook({ repo: deps.ctx.store.repository<StoredElevation>(SUBLEVELS.elevations), org: deps.ctx.identity.orgDid, clock: deps.ctx.clock })
    // a parked task runs here once approved; its chain is checked as of its arrival, the rest now
    deps.ctx.hooks.runApproved = async (request, approvalId, parkedAt) => {
      const r = request as { req: TaskRequest, from: Sender }
      return await this.execute(r.req, r.from, { skipApproval: true, approvalId, checkAt: parkedAt })
    }
  }

  /** A local agent's ring with its valid elevations applied; elevations used are audited with the decision. */
  async #elevated (p: PrincipalInfo, used: Array<{ agent: string, ring: number, jti: string }>): Promise<PrincipalInfo> {
    if (p.org !== this.#d.ctx.identity.orgDid) return p
    const e = await this.#elevations.ringOf(p.did, p.ring)
    if (e.ring === p.ring) return p
    for (const a of e.applied) used.push({ agent: p.did, ring: a.ring, jti: a.jti })
    return { ...p, ring: e.ring }
  }

  /**
   * `checkAt` (ms): time at which to check the chain's validity, for a parked task run after its
   * approval (its short-lived invocation was valid when it arrived); revocation is checked now.
   */
  async execute (req: TaskRequest, from: Sender, opts: { skipApproval?: boolean, approvalId?: string, checkAt?: number } = {}): Promise<TaskReply> {
    const { ctx, checker, principals } = this.#d
    const t0 = ctx.clock.now()
    const inv = decodeDelegation(req.invocation)
    const executor = inv.ok ? inv.value.audience : 'unknown'
    const invokerDid = inv.ok ? inv.value.issuer : 'unknown'
    const cap = inv.ok ? Object.entries(inv.value.capabilities)[0] : undefined
    const ability = cap != null ? Object.keys(cap[1])[0] ?? '' : ''
    const resource = cap?.[0] ?? ''
    const invocationCid = inv.ok ? inv.value.cid : 'unknown'

    const finish = async (outcome: TaskOutcome, code: string, reason: string, extra: { output?: unknown, link?: number, approvalId?: string } = {}): Promise<TaskReply> => {
      const durationMs = ctx.clock.now() - t0
      const receipt = await issueReceipt(ctx.nodeSigner, {
        org: ctx.identity.orgDid, inv: invocationCid, executor, invoker: invokerDid, outcome, code, durationMs, iat: Math.floor(ctx.clock.now() / 1000),
        ...(extra.approvalId != null ? { approval: extra.approvalId } : {})
      })
      await this.#d.tasks.put({ id: invocationCid, direction: 'received', ability, resource, invoker: invokerDid, executor, peerOrg: from.orgDid, outcome, code, reason, at: t0, durationMs, receipt, ...(extra.link != null ? { link: extra.link } : {}), ...(extra.approvalId != null ? { approvalId: extra.approvalId } : {}) })
      for (const h of ctx.hooks.receipt) await h(receipt, 'issued').catch(err => { ctx.logger.warn('receipt hook failed', { error: (err as Error).message }) })
      ctx.logger.info('task decided', { id: invocationCid, outcome, code, ability, resource, invoker: invokerDid, from: from.orgDid })
      return { outcome, code, reason, receipt, ...(extra.output !== undefined ? { output: extra.output } : {}), ...(extra.link != null ? { link: extra.link } : {}), ...(extra.approvalId != null ? { approvalId: extra.approvalId } : {}) }
    }
    const elevationsUsed: Array<{ agent: string, ring: number, jti: string }> = []
    const audit = async (kind: 'task.allow' | 'task.deny' | 'task.pending', code: string, reason: string): Promise<boolean> => {
      try {
        for (const h of ctx.hooks.beforeDecision) await h({ kind, subject: invocationCid, reason: code, details: { ability, resource, invoker: invokerDid, executor, from: from.orgDid, reason, ...(elevationsUsed.length > 0 ? { elevations: elevationsUsed } : {}), ...(opts.approvalId != null ? { approvalId: opts.approvalId } : {}) } })
        return true
      } catch (err) {
        ctx.logger.error('audit log unwritable: task denied', { error: (err as Error).message })
        return false
      }
    }
    const denied = async (code: string, reason: string, link?: number): Promise<TaskReply> => {
      if (!await audit('task.deny', code, reason)) return await finish('denied', 'AUDIT_UNAVAILABLE', 'the audit log cannot be written; nothing is decided without it')
      return await finish('denied', code, reason, { ...(link != null ? { link } : {}), ...(opts.approvalId != null ? { approvalId: opts.approvalId } : {}) })
    }

    if (!inv.ok) return await denied(inv.error.code, `invocation: ${inv.error.message}`)
    const local = await ctx.agents.get(executor)
    if (local == null) return await denied('UNKNOWN_EXECUTOR', `no agent ${executor} on this node`)
    for (const jwt of Object.values(req.credentials ?? {})) await principals.add(jwt)

    const checked = checker.check({ invocation: req.invocation, proofs: req.proofs }, { now: opts.checkAt ?? ctx.clock.now(), audience: executor })
    if (!checked.ok) return await denied(checked.error.code, checked.error.message, checked.error.link)
    const chain = checked.value
    const invokerChecked = principals.check(chain.invoker)
    if (!invokerChecked.ok) return await denied(invokerChecked.error.code, invokerChecked.error.message)
    const invoker = { ok: true as const, value: await this.#elevated(invokerChecked.value, elevationsUsed) }
    if (invoker.value.org !== from.orgDid) {
      return await denied('INVOKER_NOT_FROM_PEER', `the invoker belongs to ${invoker.value.org} but the task came from ${from.orgDid}: tasks are never relayed as bearer tokens`)
    }
    const chainAgents: PrincipalInfo[] = []
    for (const l of chain.links) {
      if (l.index === 0) continue // the root is issued by the org itself
      const p = principals.check(l.issuer)
      if (!p.ok) return await denied(p.error.code, `link ${l.index}: ${p.error.message}`, l.index)
      chainAgents.push(await this.#elevated(p.value, elevationsUsed))
    }
    // the root is the resource org's grant to one of its own agents (DESIGN.md section 4)
    const rootAgent = chain.links.length > 1 ? chainAgents[0] : invoker.value
    if (chain.links.length > 0 && rootAgent.org !== chain.links[0].issuer) {
      return await denied('ROOT_AUDIENCE_NOT_MEMBER', `link 0: the root by ${chain.links[0].issuer} is delegated to ${rootAgent.did} of ${rootAgent.org}, not to one of its own agents`, 0)
    }
    // policies carried in the chain must be known before deciding (fetched over the mesh if need be)
    const digests = new Set<string>()
    for (const l of chain.links) for (const c of l.capability.caveats) if (typeof c.policy === 'string') digests.add(c.policy)
    for (const c of chain.capability.caveats) if (typeof c.policy === 'string') digests.add(c.policy)
    if (digests.size > 0) {
      await ctx.hooks.resolveCarriedPolicies?.([...digests], { signal: AbortSignal.timeout(CARRIED_POLICY_WAIT_MS) })
        .catch(err => { ctx.logger.warn('carried policies unavailable', { error: (err as Error).message }) })
    }
    const selfOrg = ctx.identity.orgDid
    const orgMaxRing = invoker.value.org === selfOrg ? 1 : ctx.enrolments.get(invoker.value.org)?.maxRing ?? 3
    const trust = ctx.hooks.trustOf?.(invoker.value.org)
    const decision = authorizeTask({
      chain,
      principals: chainAgents,
      invoker: invoker.value,
      selfOrg,
      orgMaxRing,
      policy: ctx.policy.get().policy,
      args: req.args,
      ...(trust != null ? { trust } : {}),
      carried: (digest, at) => ctx.hooks.carriedPolicy?.(digest, {
        ability: chain.capability.ability, resource: chain.capability.resource, callerOrg: invoker.value.org, callerAgent: invoker.value.did, selfOrg: at.owner, ring: at.ring, ringCappedBy: at.cappedBy, args: req.args, ...(trust != null ? { trust } : {})
      })
    })
    if (decision.effect === 'deny') return await denied(decision.code, decision.reason)
    if (decision.effect === 'require_approval' && opts.skipApproval !== true) {
      if (ctx.hooks.parkForApproval == null) return await denied('APPROVAL_UNAVAILABLE', 'the policy requires approval but this node has no approval queue')
      if (!await audit('task.pending', decision.code, decision.reason)) return await finish('denied', 'AUDIT_UNAVAILABLE', 'the audit log cannot be written')
      const approvalId = await ctx.hooks.parkForApproval({ taskId: chain.invocationCid, invoker: invoker.value.did, invokerOrg: invoker.value.org, executor, ability, resource, args: req.args, request: { req, from }, reason: decision.reason })
      return await finish('pending', 'APPROVAL_REQUIRED', decision.reason, { approvalId })
    }
    // freshness is recorded before the task runs, so a replay racing this one is refused
    const expiresAt = Math.max((chain.expiresAt ?? Math.floor(ctx.clock.now() / 1000) + 300) * 1000, ctx.clock.now())
    if (!await this.#d.replay.record(chain.replayKeys, expiresAt)) return await denied('REPLAYED', 'invocation nonce or CID was used before')
    if (!await audit('task.allow', decision.code, decision.reason)) return await finish('denied', 'AUDIT_UNAVAILABLE', 'the audit log cannot be written; nothing is decided without it')
    const revoked = checker.revokedLink(chain, { invocation: req.invocation, proofs: req.proofs })
    if (revoked != null) {
      const at = chain.links.find(l => l.cid === revoked)?.index
      return await denied('REVOKED', `link ${at ?? '?'} (${revoked}) was revoked just before execution`, at)
    }
    const out = await ctx.dispatcher.dispatch(executor, chain.capability.ability, {
      id: chain.invocationCid, ability: chain.capability.ability, resource: chain.capability.resource, args: req.args, invoker: invoker.value.did
    }, { timeoutMs: this.#d.taskTimeoutMs ?? 25_000 })
    if (out.ok) return await finish('ok', 'OK', 'done', { output: out.output, ...(opts.approvalId != null ? { approvalId: opts.approvalId } : {}) })
    return await finish('error', out.code, out.message, opts.approvalId != null ? { approvalId: opts.approvalId } : {})
  }
}
