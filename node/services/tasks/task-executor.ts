/**
 * The receiving end of a task: runs the inbound pipeline (inbound-pipeline.ts) over the node's
 * components, and runs or refuses parked tasks once a human has decided them.
 */
import type { TaskRequest, TaskReply } from '../../../protocols/task/messages.js'
import type { ParkedTask, ParkedTaskRunner } from '../../components.js'
import { issueReceipt } from './receipt.js'
import { runInboundTask, type ExecuteOptions, type Sender } from './inbound-pipeline.js'
import type { InboundComponents, InboundParts } from './inbound-components.js'

export type { Sender, ExecuteOptions } from './inbound-pipeline.js'

export class TaskExecutor implements ParkedTaskRunner {
  readonly #c: InboundComponents
  readonly #p: InboundParts

  constructor (components: InboundComponents, parts: InboundParts) {
    this.#c = components
    this.#p = parts
  }

  async execute (req: TaskRequest, from: Sender, opts: ExecuteOptions = {}): Promise<TaskReply> {
    return await runInboundTask(req, from, opts, this.#c, this.#p)
  }

  /** A parked task, approved: its chain is checked as of its arrival, everything else now. */
  async runApproved (request: unknown, approvalId: string, parkedAt: number): Promise<TaskReply> {
    const r = request as { req: TaskRequest, from: Sender }
    return await this.execute(r.req, r.from, { skipApproval: true, approvalId, checkAt: parkedAt })
  }

  /** A parked task refused (denied, expired, no longer valid): signed like any other receipt, logged, counted. */
  async refuseParked (task: ParkedTask, parkedAt: number, approvalId: string, code: string, reason: string): Promise<TaskReply> {
    const c = this.#c
    const now = c.clock.now()
    const receipt = await issueReceipt(c.nodeSigner, {
      org: c.identity.orgDid, inv: task.taskId, executor: task.executor, invoker: task.invoker, outcome: 'denied', code, durationMs: now - parkedAt, iat: Math.floor(now / 1000), approval: approvalId
    })
    await this.#p.tasks.put({ id: task.taskId, direction: 'received', ability: task.ability, resource: task.resource, invoker: task.invoker, executor: task.executor, peerOrg: task.invokerOrg, outcome: 'denied', code, reason, at: now, durationMs: now - parkedAt, receipt, approvalId })
    await c.trust.onReceipt(receipt, 'issued').catch(() => {})
    return { outcome: 'denied', code, reason, receipt, approvalId }
  }
}
