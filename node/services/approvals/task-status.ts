/**
 * The task-status protocol at both ends. The executing node answers, to the org that sent a parked
 * task only, whether it is still pending or how it ended (with its signed receipt). The requesting
 * node asks on `task status`, checks the receipt (signed by the node it asked, naming this
 * invocation) and records the final outcome in its task log.
 */
import { didKeyFromPublicKey } from '../../../identity/did-key.js'
import { publicKeyFromPeerIdString } from '../../../identity/peer-id.js'
import type { Components } from '../../components.js'
import { TASK_STATUS_MAX_INBOUND_STREAMS, TASK_STATUS_PROTOCOL, TASK_STATUS_TIMEOUT_MS, createTaskStatusHandler, requestTaskStatus, type TaskStatusReply } from '../../../protocols/task-status/index.js'
import { checkStatusReceipt } from '../tasks/reply-check.js'
import type { TaskLog, TaskRecord } from '../tasks/task-log.js'
import type { ApprovalQueue, ParkedRecord } from './approval-queue.js'

export class TaskStatusError extends Error {
  override readonly name = 'TaskStatusError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

/** What the executing node tells the requester about a parked task. */
export function statusOf (rec: ParkedRecord | undefined, askingOrg: string): TaskStatusReply {
  const from = (rec?.task.request as { from?: { orgDid?: string } } | undefined)?.from?.orgDid
  if (rec == null || from !== askingOrg) return { v: 1, found: false }
  if (rec.result == null) return { v: 1, found: true, outcome: 'pending', code: 'APPROVAL_PENDING', reason: rec.task.reason, approvalId: rec.id, deadline: rec.deadline }
  const r = rec.result
  return { v: 1, found: true, outcome: r.outcome, code: r.code, ...(r.reason != null ? { reason: r.reason } : {}), ...(r.output !== undefined ? { output: r.output } : {}), ...(r.receipt != null ? { receipt: r.receipt } : {}), approvalId: rec.id }
}

export class TaskStatusService {
  readonly #ctx: Pick<Components, 'identity' | 'mesh' | 'nodeSigner' | 'trust'>
  readonly #queue: ApprovalQueue
  readonly #tasks: TaskLog

  constructor (ctx: Pick<Components, 'identity' | 'mesh' | 'nodeSigner' | 'trust'>, queue: ApprovalQueue, tasks: TaskLog) {
    this.#ctx = ctx
    this.#queue = queue
    this.#tasks = tasks
  }

  async start (): Promise<void> {
    const handler = createTaskStatusHandler({
      statusOf: async (taskId, askingOrg) => await this.statusFor(taskId, askingOrg),
      verifiedOrgOf: (conn) => this.#ctx.mesh.verifiedPeer(conn.id)?.orgDid
    })
    await this.#ctx.mesh.handle(TASK_STATUS_PROTOCOL, handler, { maxInboundStreams: TASK_STATUS_MAX_INBOUND_STREAMS })
  }

  /**
   * What this node tells `askingOrg` about task `taskId`: a parked task's state, else how a task it
   * ran for that org ended (with the receipt and small outputs), so a requester that lost the reply
   * (a saga coordinator that was killed) learns the outcome instead of sending the task again.
   */
  async statusFor (taskId: string, askingOrg: string): Promise<TaskStatusReply> {
    const parked = statusOf(this.#queue.byTask(taskId), askingOrg)
    if (parked.found) return parked
    // a second arrival of the same invocation, refused as REPLAYED, is not how the task ended
    const rec = await this.#tasks.find(taskId, 'received', r => r.code !== 'REPLAYED')
    if (rec == null || rec.peerOrg !== askingOrg || rec.approvalId != null) return { v: 1, found: false }
    return { v: 1, found: true, outcome: rec.outcome, code: rec.code, ...(rec.reason != null ? { reason: rec.reason } : {}), ...(rec.output !== undefined ? { output: rec.output } : {}), ...(rec.receipt != null ? { receipt: rec.receipt } : {}) }
  }

  async #sent (id: string): Promise<TaskRecord | undefined> {
    return (await this.#tasks.list(2000)).find(r => r.id === id && r.direction === 'sent')
  }

  /** The requester's view of a task it sent (by `invoker`, when given); asks the executing node while it is pending. */
  async status (id: string, options: { signal?: AbortSignal, invoker?: string } = {}): Promise<TaskRecord & { output?: unknown, deadline?: number }> {
    const rec = await this.#sent(id)
    // an agent sees only the tasks it sent (the same answer as for a task never sent: nothing leaks)
    if (rec == null || (options.invoker != null && rec.invoker !== options.invoker)) throw new TaskStatusError('UNKNOWN_TASK', `this node sent no task ${id}${options.invoker != null ? ` for ${options.invoker}` : ''}`)
    if (rec.outcome !== 'pending') return rec
    let reply: TaskStatusReply
    let signer: string | undefined
    if (rec.peerOrg === this.#ctx.identity.orgDid) {
      reply = statusOf(this.#queue.byTask(id), rec.peerOrg)
      signer = this.#ctx.nodeSigner.did
    } else {
      const timeout = AbortSignal.timeout(TASK_STATUS_TIMEOUT_MS)
      const signal = options.signal != null ? AbortSignal.any([options.signal, timeout]) : timeout
      try {
        const conn = await this.#ctx.mesh.connectionToOrg(rec.peerOrg, { signal })
        const pub = publicKeyFromPeerIdString(conn.remotePeer.toString())
        signer = pub.ok ? didKeyFromPublicKey(pub.value) : undefined
        reply = await requestTaskStatus(conn, id, { signal })
      } catch (err) {
        throw new TaskStatusError('PEER_UNREACHABLE', `cannot ask ${rec.peerOrg} about task ${id}: ${(err as Error).message}`)
      }
    }
    if (!reply.found) throw new TaskStatusError('UNKNOWN_TASK', `the executing node does not know task ${id} (or not for this org)`)
    if (reply.outcome === 'pending' || reply.outcome == null) return { ...rec, ...(reply.deadline != null ? { deadline: reply.deadline } : {}) }
    // a partner that rotated its org key since the task was sent answers under its new DID
    const r = checkStatusReceipt(reply, { taskId: id, targetOrg: rec.peerOrg, ...(signer != null ? { node: signer } : {}), sameOrg: (a, b) => this.#ctx.mesh.sameOrg(a, b) })
    if (!r.ok) throw new TaskStatusError('BAD_RECEIPT', `the executing node's answer about ${id} has no matching receipt: ${r.error.message}`)
    const done: TaskRecord = { ...rec, outcome: reply.outcome, code: reply.code ?? r.value.code, ...(reply.reason != null ? { reason: reply.reason } : {}), receipt: reply.receipt as string }
    await this.#tasks.put(done)
    await this.#ctx.trust.onReceipt(done.receipt as string, 'received').catch(() => {})
    return { ...done, ...(reply.output !== undefined ? { output: reply.output } : {}) }
  }
}
