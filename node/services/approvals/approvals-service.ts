/**
 * Policies and approvals at the node (DESIGN.md sections 5 and 6) as a service: the book of policies
 * (the local one and those carried in chains, fetched over the mesh by digest), the durable approval
 * queue with its deadline timer, and task status for requesters of parked tasks.
 */
import { decodeDelegation } from '../../../identity/ucan/index.js'
import type { ApprovalParking, CarriedPolicies, Components, Service } from '../../components.js'
import { SUBLEVELS as Sublevel } from '../../store/sublevels.js'
import { evaluatePolicy } from '../../../authz/index.js'
import { PolicyBook, type StoredPolicy } from './policy-book.js'
import { PolicyExchange } from './policy-exchange.js'
import { ElevationBook, type StoredElevation } from './elevation-book.js'
import { ApprovalQueue, type ParkedRecord } from './approval-queue.js'
import { TaskStatusService } from './task-status.js'
import { ApproverBook, type Approver } from './approver-book.js'
import { TaskLog, type TaskRecord } from '../tasks/task-log.js'
import type { TaskRequest, TaskReply } from '../../../protocols/task/messages.js'

export const DEFAULT_APPROVAL_DEADLINE_MS = 3600_000

export interface ApprovalsOptions {
  /** How long a parked task waits for a decision (setting `approvalDeadlineMs`). */
  approvalDeadlineMs?: number
  /** How often deadlines are checked. */
  expiryCheckMs?: number
}

export const APPROVALS_DEPENDENCIES = ['clock', 'logger', 'identity', 'nodeSigner', 'store', 'policy', 'mesh', 'registry', 'audit', 'parkedTasks', 'trust'] as const
export type ApprovalsComponents = Pick<Components, typeof APPROVALS_DEPENDENCIES[number]>

export interface ApprovalsService extends Service {
  readonly queue: ApprovalQueue
  /** Named approvers: only their signed approvals decide parked tasks. */
  readonly approvers: ApproverBook
  readonly book: PolicyBook
  readonly elevations: ElevationBook
  readonly taskStatus: TaskStatusService
  /** Where the task pipeline parks what policy holds back. */
  readonly parking: ApprovalParking
  readonly carried: CarriedPolicies
}

export function createApprovalsService (ctx: ApprovalsComponents, options: ApprovalsOptions = {}): ApprovalsService {
  const book = new PolicyBook(ctx.store.repository<StoredPolicy>(Sublevel.policies))
  const exchange = new PolicyExchange(ctx, book)
  const elevations = new ElevationBook({ repo: ctx.store.repository<StoredElevation>(Sublevel.elevations), org: ctx.identity.orgDid, clock: ctx.clock })
  const tasks = new TaskLog(ctx.store.repository<TaskRecord>(Sublevel.tasks))
  const approvers = new ApproverBook(ctx.store.repository<Approver>(Sublevel.approvers))

  const refuse = async (rec: ParkedRecord, code: string, reason: string): Promise<TaskReply> =>
    await ctx.parkedTasks.refuseParked(rec.task, rec.parkedAt, rec.id, code, reason)
  const run = async (rec: ParkedRecord, approvalId: string): Promise<TaskReply> => {
    // the delegations it rests on must still be valid now (its short-lived invocation was checked at arrival)
    const req = (rec.task.request as { req?: TaskRequest }).req
    const nowS = Math.floor(ctx.clock.now() / 1000)
    for (const jwt of Object.values(req?.proofs ?? {})) {
      const d = decodeDelegation(jwt)
      if (!d.ok) return await refuse(rec, d.error.code, `a delegation of the parked task no longer decodes: ${d.error.message}`)
      if (d.value.expiration != null && d.value.expiration <= nowS) return await refuse(rec, 'EXPIRED', `delegation ${d.value.cid} expired while the task waited for approval`)
    }
    return await ctx.parkedTasks.runApproved(rec.task.request, approvalId, rec.parkedAt)
  }
  const queue = new ApprovalQueue({
    repo: ctx.store.repository<ParkedRecord>(Sublevel.approvals),
    uses: ctx.store.repository<number>(Sublevel.approvalUses),
    clock: ctx.clock,
    logger: ctx.logger.child('approvals'),
    // named approvers only: the org key approves nothing unless the operator adds it as an approver
    approvers: () => approvers.dids(),
    approver: (did) => approvers.byDid(did),
    audit: async (event) => {
      const r = await ctx.audit.record(event)
      if (!r.ok) throw new Error(r.error.message)
    },
    run,
    refuse,
    deadlineMs: options.approvalDeadlineMs ?? DEFAULT_APPROVAL_DEADLINE_MS
  })
  const taskStatus = new TaskStatusService(ctx, queue, tasks)

  const carried: CarriedPolicies = {
    decide: (digest, request) => {
      const local = ctx.policy.get()
      const policy = digest === local.digest ? local.policy : book.get(digest)
      return policy == null ? undefined : evaluatePolicy(policy, request)
    },
    resolve: async (digests, opts = {}) => {
      await Promise.all(digests.map(async d => await exchange.ensure(d, opts)))
    }
  }
  let started = false

  return {
    name: 'approvals',
    dependencies: APPROVALS_DEPENDENCIES,
    queue,
    approvers,
    book,
    elevations,
    taskStatus,
    parking: { park: async (task) => await queue.park(task), pending: () => queue.list('pending').length },
    carried,
    status: () => ({ pending: queue.list('pending').length }),
    async start () {
      if (started) return
      started = true
      await book.load()
      await book.addLocal(ctx.policy.get().policy, ctx.clock.now())
      await queue.load()
      await approvers.load()
      await exchange.start()
      await taskStatus.start()
      await queue.expireDue()
      queue.start(options.expiryCheckMs)
      await elevations.prune()
    },
    async stop () {
      started = false
      queue.stop()
    }
  }
}
