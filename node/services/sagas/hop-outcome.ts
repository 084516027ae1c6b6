/**
 * The outcome of one hop (a step or a compensation) the coordinator sent, learned without ever
 * running it twice. A reply with a receipt is final. When the reply was lost (the coordinator was
 * killed, the stream broke, the step timed out) the executing node is asked (task status); if it
 * does not know the task, the very same invocation is delivered again: its replay guard refuses a
 * second run (REPLAYED), which proves the first arrived, and then its outcome is asked for until known.
 */
import { didKeyFromPublicKey } from '../../../identity/did-key.js'
import { publicKeyFromPeerIdString } from '../../../identity/peer-id.js'
import { requestTaskStatus, type TaskStatusReply } from '../../../protocols/task-status/index.js'
import type { TaskReply } from '../../../protocols/task/messages.js'
import { backoffMs, UNCERTAIN_CODES, type HopOutcome, type SentTask } from '../../../sagas/index.js'
import type { Components } from '../../components.js'
import type { PreparedTask, TaskSender } from '../tasks/task-sender.js'
import { checkStatusReceipt } from '../tasks/reply-check.js'

/** A refusal of the re-sent invocation counts as "never ran" only once the first copy must have ended. */
const NOT_RUN_GRACE_MS = 30_000

export interface HopDeps {
  c: Pick<Components, 'clock' | 'identity' | 'mesh' | 'logger'>
  sender: Pick<TaskSender, 'deliver'>
  /** This node's answer about a task it ran (for steps addressed to its own agents). */
  localStatus: (taskId: string, askingOrg: string) => Promise<TaskStatusReply>
  sleep: (ms: number) => Promise<boolean>
}

/** A reply's outcome when it is final; undefined when the task may have run without us knowing how. */
export function finalOutcome (reply: TaskReply): HopOutcome | undefined {
  if (reply.outcome === 'pending' || reply.code === 'REPLAYED') return undefined
  if (reply.receipt == null && UNCERTAIN_CODES.includes(reply.code)) return undefined
  return { outcome: reply.outcome, code: reply.code, ...(reply.reason != null ? { reason: reply.reason } : {}), ...(reply.output !== undefined ? { output: reply.output } : {}), ...(reply.receipt != null ? { receipt: reply.receipt } : {}) }
}

export class HopOutcomes {
  readonly #d: HopDeps
  constructor (d: HopDeps) {
    this.#d = d
  }

  /** Ask the executing node what became of `task`; `unreachable` when it cannot be asked now. */
  async #status (task: SentTask, signal?: AbortSignal): Promise<HopOutcome | 'unknown-task' | 'running' | 'unreachable'> {
    const { c } = this.#d
    let reply: TaskStatusReply
    let node: string | undefined
    try {
      if (task.targetOrg === c.identity.orgDid) {
        reply = await this.#d.localStatus(task.taskId, c.identity.orgDid)
      } else {
        const s = signal != null ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000)
        const conn = await c.mesh.connectionToOrg(task.targetOrg, { signal: s })
        const pub = publicKeyFromPeerIdString(conn.remotePeer.toString())
        node = pub.ok ? didKeyFromPublicKey(pub.value) : undefined
        reply = await requestTaskStatus(conn, task.taskId, { signal: s })
      }
    } catch (err) {
      c.logger.debug('task status unavailable', { task: task.taskId, error: (err as Error).message })
      return 'unreachable'
    }
    if (!reply.found) return 'unknown-task'
    if (reply.outcome == null || reply.outcome === 'pending') return 'running'
    if (task.targetOrg !== c.identity.orgDid) {
      // a partner that rotated its org key since the task was sent answers under its new DID
      const r = checkStatusReceipt(reply, { taskId: task.taskId, targetOrg: task.targetOrg, ...(node != null ? { node } : {}), sameOrg: (a, b) => c.mesh.sameOrg(a, b) })
      if (!r.ok) return 'unreachable'
    }
    return { outcome: reply.outcome, code: reply.code ?? 'UNKNOWN', ...(reply.reason != null ? { reason: reply.reason } : {}), ...(reply.output !== undefined ? { output: reply.output } : {}), ...(reply.receipt != null ? { receipt: reply.receipt } : {}) }
  }

  /** The outcome of `task`, asked for until `until` (ms); undefined if it cannot be known by then. */
  async resolve (task: SentTask, until: number, signal?: AbortSignal): Promise<HopOutcome | undefined> {
    const { c } = this.#d
    let resent = false
    let refusal: HopOutcome | undefined
    for (let attempt = 1; c.clock.now() < until && signal?.aborted !== true; attempt++) {
      const st = await this.#status(task, signal)
      if (typeof st === 'object') return st
      if (st === 'unknown-task' && !resent) {
        const reply = await this.#d.sender.deliver(task.request as PreparedTask, { ...(signal != null ? { signal } : {}) })
        // a copy that never got an answer may not have arrived either: it is sent again (the replay guard keeps it to one run)
        resent = reply.receipt != null
        const o = finalOutcome(reply)
        if (o != null) {
          // ran now (the first copy never arrived) or refused: a refusal may hide a first copy still running
          if (o.outcome !== 'denied') return o
          refusal = o
        }
        if (resent) continue
      }
      if (st === 'unknown-task' && refusal != null && c.clock.now() > task.sentAt + task.timeoutMs + NOT_RUN_GRACE_MS) return refusal
      if (!await this.#d.sleep(backoffMs(attempt, 100, 2_000))) return undefined
    }
    return undefined
  }
}
