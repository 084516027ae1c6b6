/**
 * Rings, policies and approvals at the node (DESIGN.md sections 5 and 6): the policy book and the
 * policy protocol (carried policies are fetched by digest and enforced with the local one), ring
 * elevations, the durable approval queue with its deadline timer, task status for requesters of
 * parked tasks, and their control API routes.
 */
import { decodeDelegation } from '../../../identity/ucan/index.js'
import type { DecisionEvent, Feature, FeatureFactory, NodeContext } from '../../node-context.js'
import { SUBLEVELS as Sublevel } from '../../store/sublevels.js'
import { evaluatePolicy } from '../../../authz/index.js'
import { PolicyBook, type StoredPolicy } from './policy-book.js'
import { PolicyExchange } from './policy-exchange.js'
import { ElevationBook, type StoredElevation } from './elevation-book.js'
import { ApprovalQueue, type ParkedRecord } from './approval-queue.js'
import { TaskStatusService } from './task-status.js'
import { TaskLog, type TaskRecord } from '../tasks/task-log.js'
import { issueReceipt } from '../tasks/receipt.js'
import { policyRoutes } from '../../api/operator/policy-routes.js'
import { approvalRoutes } from '../../api/operator/approval-routes.js'
import { ringRoutes } from '../../api/operator/ring-routes.js'
import type { TaskRequest, TaskReply } from '../../../protocols/task/messages.js'

export interface PolicyFeatureOptions {
  /** How long a parked task waits for a decision; default TRUSTMESH_APPROVAL_DEADLINE (seconds) or 1 h. */
  approvalDeadlineMs?: number
  /** How often deadlines are checked. */
  expiryCheckMs?: number
}

const DEFAULT_DEADLINE_MS = 3600_000

function deadlineFromEnv (): number {
  const v = Number(process.env.TRUSTMESH_APPROVAL_DEADLINE)
  return Number.isFinite(v) && v > 0 ? Math.round(v * 1000) : DEFAULT_DEADLINE_MS
}

export function policyFeature (options: PolicyFeatureOptions = {}): FeatureFactory {
  return async (ctx: NodeContext): Promise<Feature> => {
    const book = new PolicyBook(ctx.store.repository<StoredPolicy>(Sublevel.policies))
    const exchange = new PolicyExchange(ctx, book)
    const elevations = new ElevationBook({ repo: ctx.store.repository<StoredElevation>(Sublevel.elevations), org: ctx.identity.orgDid, clock: ctx.clock })
    const tasks = new TaskLog(ctx.store.repository<TaskRecord>(Sublevel.tasks))

    const audit = async (event: DecisionEvent): Promise<void> => {
      for (const h of ctx.hooks.beforeDecision) await h(event)
    }
    /** A denial of a parked task, signed by this node like any other receipt, and logged. */
    const refuse = async (rec: ParkedRecord, code: string, reason: string): Promise<TaskReply> => {
      const now = ctx.clock.now()
      const receipt = await issueReceipt(ctx.nodeSigner, {
        org: ctx.identity.orgDid, inv: rec.task.taskId, executor: rec.task.executor, invoker: rec.task.invoker, outcome: 'denied', code, durationMs: now - rec.parkedAt, iat: Math.floor(now / 1000), approval: rec.id
      })
      await tasks.put({ id: rec.task.taskId, direction: 'received', ability: rec.task.ability, resource: rec.task.resource, invoker: rec.task.invoker, executor: rec.task.executor, peerOrg: rec.task.invokerOrg, outcome: 'denied', code, reason, at: now, durationMs: now - rec.parkedAt, receipt, approvalId: rec.id })
      for (const h of ctx.hooks.receipt) await h(receipt, 'issued').catch(() => {})
      return { outcome: 'denied', code, reason, receipt, approvalId: rec.id }
    }
    const run = async (rec: ParkedRecord, approvalId: string): Promise<TaskReply> => {
      // the delegations it rests on must still be valid now (its short-lived invocation was checked at arrival)
      const req = (rec.task.request as { req?: TaskRequest }).req
      const nowS = Math.floor(ctx.clock.now() / 1000)
      for (const jwt of Object.values(req?.proofs ?? {})) {
        const d = decodeDelegation(jwt)
        if (!d.ok) return await refuse(rec, d.error.code, `a delegation of the parked task no longer decodes: ${d.error.message}`)
        if (d.value.expiration != null && d.value.expiration <= nowS) return await refuse(rec, 'EXPIRED', `delegation ${d.value.cid} expired while the task waited for approval`)
      }
      if (ctx.hooks.runApproved == null) return await refuse(rec, 'EXECUTOR_UNAVAILABLE', 'this node has no task executor')
      return await ctx.hooks.runApproved(rec.task.request, approvalId, rec.parkedAt)
    }
    const queue = new ApprovalQueue({
      repo: ctx.store.repository<ParkedRecord>(Sublevel.approvals),
      uses: ctx.store.repository<number>(Sublevel.approvalUses),
      clock: ctx.clock,
      logger: ctx.logger.child('approvals'),
      approvers: () => [ctx.identity.orgDid],
      audit,
      run,
      refuse,
      deadlineMs: options.approvalDeadlineMs ?? deadlineFromEnv()
    })
    const status = new TaskStatusService(ctx, queue, tasks)

    ctx.hooks.parkForApproval = async (task) => await queue.park(task)
    ctx.hooks.carriedPolicy = (digest, request) => {
      const local = ctx.policy.get()
      const policy = digest === local.digest ? local.policy : book.get(digest)
      return policy == null ? undefined : evaluatePolicy(policy, request)
    }
    ctx.hooks.resolveCarriedPolicies = async (digests, opts = {}) => {
      await Promise.all(digests.map(async d => await exchange.ensure(d, opts)))
    }
    ctx.statusProviders.set('approvals', () => ({ pending: queue.list('pending').length }))

    policyRoutes(ctx, { elevations, book, audit })
    approvalRoutes(ctx, queue, status)
    ringRoutes(ctx, elevations, audit)

    return {
      name: 'policy',
      async start () {
        await book.load()
        await book.addLocal(ctx.policy.get().policy, ctx.clock.now())
        await queue.load()
        await exchange.start()
        await status.start()
        await queue.expireDue()
        queue.start(options.expiryCheckMs)
        await elevations.prune()
      },
      async stop () {
        queue.stop()
      }
    }
  }
}
