/**
 * Agent side of task delivery: a loop that long-polls the node for tasks matching the agent's
 * abilities, runs the handler, and posts the result. Errors back off (bounded, with jitter); the loop
 * ends on `stop()` or when the caller's signal aborts. A handler that throws answers `ok: false` with
 * its error's code (upper snake case) or `HANDLER_ERROR`.
 */
import { randomInt } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { ControlApiError } from './errors.js'
import { isGrantPattern as isAbilityPattern } from '../identity/ability.js'
import { AGENT_POLL_PATH, agentResultPath } from '../protocols/control/agent-task.js'
import type { AgentResultReply, AgentTask, AgentTaskResult } from '../protocols/control/agent-task.js'

export const DEFAULT_POLL_WAIT_MS = 20_000
export const BACKOFF_MIN_MS = 100
export const BACKOFF_MAX_MS = 5_000
export const RESULT_POST_TIMEOUT_MS = 5_000
const MAX_ERROR_MESSAGE = 1024
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/

export type TaskHandler = (task: AgentTask, context: { signal: AbortSignal }) => Promise<unknown>

export interface OnTaskOptions {
  /** DID of the local agent the tasks are for. */
  agent: string
  signal?: AbortSignal
  /** Long-poll wait sent to the node (max 30 s). */
  waitMs?: number
  /** Tasks handled at once (parallel poll loops); default 1. */
  concurrency?: number
  /** Told about poll/post failures (the loop keeps going). */
  onError?: (err: Error) => void
}

export interface TaskLoop {
  /** Stop polling, abort running handlers' signals, and wait for the loop to end. */
  stop: () => Promise<void>
  /** Settles when the loop has ended. */
  readonly done: Promise<void>
}

/**
 * The one thing the task loop needs from its client: a request to the node. `ControlClient` has it;
 * naming only this keeps agent-client.ts from importing control-client.ts (which imports this file).
 */
export interface TaskTransport {
  request: <T = unknown>(method: string, path: string, body?: unknown, options?: { signal?: AbortSignal, timeoutMs?: number }) => Promise<T>
}

export function runTaskLoop (client: TaskTransport, abilities: string[], handler: TaskHandler, options: OnTaskOptions): TaskLoop {
  if (abilities.length === 0 || !abilities.every(isAbilityPattern)) throw new TypeError('onTask needs one or more ability patterns like "records/read" or "records/*"')
  if (typeof options.agent !== 'string' || !options.agent.startsWith('did:')) throw new TypeError('onTask needs options.agent, the agent DID')
  const controller = new AbortController()
  const signal = controller.signal
  // each worker's open request listens on the loop's signal: up to 64 workers are expected, not a leak
  setMaxListeners(200, signal)
  const onOuterAbort = (): void => { controller.abort() }
  if (options.signal?.aborted === true) controller.abort()
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  const waitMs = Math.min(Math.max(options.waitMs ?? DEFAULT_POLL_WAIT_MS, 0), 30_000)
  const report = (err: unknown): void => {
    if (signal.aborted) return
    try { options.onError?.(err instanceof Error ? err : new Error(String(err))) } catch { /* the reporter must not end the loop */ }
  }

  const worker = async (): Promise<void> => {
    let failures = 0
    // a task handed over with the previous result (the node's queue was not empty): no poll needed
    let handed: AgentTask | undefined
    while (!signal.aborted) {
      let task: AgentTask | undefined = handed
      handed = undefined
      if (task == null) {
        try {
          task = await client.request<AgentTask | undefined>('POST', AGENT_POLL_PATH, { agent: options.agent, abilities, waitMs }, { signal, timeoutMs: waitMs + 10_000 })
          failures = 0
        } catch (err) {
          if (signal.aborted) break
          report(err)
          failures++
          await delay(backoff(failures), signal)
          continue
        }
      }
      if (task == null || typeof task.id !== 'string') continue
      const result = await runHandler(handler, task, signal)
      result.agent = options.agent
      // while running, ask for the next queued task in the same exchange (the node does not wait for one)
      if (!signal.aborted) result.next = { abilities }
      try {
        // not tied to the loop signal: work finished during stop() is still delivered
        const reply = await client.request<AgentResultReply | undefined>('POST', agentResultPath(task.id), result, { timeoutMs: RESULT_POST_TIMEOUT_MS })
        const next = reply?.next
        if (next != null && typeof next.id === 'string') {
          // a task taken during stop() is still run and answered (the node handed it over)
          handed = next
          if (signal.aborted) await runAndPost(next)
        }
      } catch (err) {
        // 404/409: the node gave up on the task (timeout) or already has a result; nothing to retry
        if (!(err instanceof ControlApiError && (err.status === 404 || err.status === 409))) report(err)
      }
    }
  }

  /** A task handed over as the loop stops: run and answered, asking for nothing more. */
  const runAndPost = async (task: AgentTask): Promise<void> => {
    const result = await runHandler(handler, task, signal)
    result.agent = options.agent
    await client.request('POST', agentResultPath(task.id), result, { timeoutMs: RESULT_POST_TIMEOUT_MS }).catch((err: unknown) => { report(err) })
  }

  const workers = Math.max(1, Math.min(options.concurrency ?? 1, 64))
  const done = Promise.all(Array.from({ length: workers }, async () => { await worker() }))
    .then(() => {}, (err: unknown) => { report(err) })
    .finally(() => { options.signal?.removeEventListener('abort', onOuterAbort) })

  return {
    done,
    stop: async () => { controller.abort(); await done }
  }
}

async function runHandler (handler: TaskHandler, task: AgentTask, signal: AbortSignal): Promise<AgentTaskResult> {
  try {
    const output = await handler(task, { signal })
    return { ok: true, output }
  } catch (err) {
    const e = err as { code?: unknown, message?: unknown } | null
    const code = typeof e?.code === 'string' && CODE.test(e.code) ? e.code : 'HANDLER_ERROR'
    const message = typeof e?.message === 'string' && e.message.length > 0 ? e.message.slice(0, MAX_ERROR_MESSAGE) : 'task handler failed'
    return { ok: false, error: { code, message } }
  }
}

function backoff (failures: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(failures - 1, 16))
  // jitter, so agents of a restarted node do not all retry at once
  return base / 2 + randomInt(0, Math.max(1, Math.floor(base / 2)))
}

async function delay (ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>((resolve) => {
    const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve() }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
