/**
 * A task held for approval at the executing org answers `pending`. The A2A bridge returns that to
 * its caller as `auth-required` at once and then follows the task here: it asks the agent API after
 * it (which asks the executing node, and checks the answer against its receipt) at a growing
 * interval until an approver decides, the approval's deadline passes, or the bridge closes. What it
 * cannot learn is an error with a reason code, never a silent `auth-required` forever.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Agent, TaskOutcome } from '../agent.js'

export interface FollowOptions {
  signal: AbortSignal
  /** First wait between questions (default 1 s), growing by half up to `maxIntervalMs` (default 10 s). */
  intervalMs?: number
  maxIntervalMs?: number
  /** Longest follow in all (default 2 h, beyond the default one-hour approval deadline). */
  maxMs?: number
  /** Past the executing node's deadline, how long its expiry may take to show (default 60 s). */
  graceMs?: number
  now?: () => number
}

/** Answers that end the follow: the task is unknown there, or an answer did not match its receipt. */
const FINAL_ERRORS = new Set(['UNKNOWN_TASK', 'BAD_RECEIPT'])

export async function followPending (agent: Pick<Agent, 'status'>, first: TaskOutcome, o: FollowOptions): Promise<TaskOutcome> {
  const now = o.now ?? (() => Date.now())
  const start = now()
  let end = start + (o.maxMs ?? 2 * 3600_000)
  let interval = o.intervalMs ?? 1_000
  const fail = (code: string, reason: string): TaskOutcome => ({ id: first.id, targetOrg: first.targetOrg, outcome: 'error', code, reason })
  while (true) {
    try {
      await sleep(Math.max(0, Math.min(interval, end - now())), undefined, { signal: o.signal })
    } catch {
      return fail('BRIDGE_CLOSED', `the bridge closed while task ${first.id} waited for approval`)
    }
    interval = Math.min(interval * 1.5, o.maxIntervalMs ?? 10_000)
    try {
      const r = await agent.status(first.id, { signal: o.signal })
      if (r.outcome !== 'pending') return r
      if (r.deadline != null) end = Math.min(end, r.deadline + (o.graceMs ?? 60_000))
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (typeof code === 'string' && FINAL_ERRORS.has(code)) return fail(code, (err as Error).message)
      if (o.signal.aborted) return fail('BRIDGE_CLOSED', `the bridge closed while task ${first.id} waited for approval`)
      // the executing node may be unreachable for a while: asked again at the next interval
    }
    if (now() >= end) return fail('APPROVAL_UNDECIDED', `task ${first.id} was still waiting for approval after ${Math.round((now() - start) / 1000)} s`)
  }
}
