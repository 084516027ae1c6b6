/**
 * Node-side hand-off of tasks to local agents. Agents long-poll `POST /v1/agent/poll` naming the
 * abilities they serve; `dispatch` queues a task for one agent and waits for its result on
 * `POST /v1/agent/tasks/:id/result`. Fails closed: no agent registered within the grace period is
 * `NO_HANDLER`, no answer in time is `TASK_TIMEOUT`, a full queue is `AGENT_BUSY`, and a result is
 * accepted at most once.
 */
import type { Clock } from '../../../identity/clock.js'
import { systemClock } from '../../../identity/clock.js'
import type { Logger } from '../../../identity/logger.js'
import { isAbility, isGrantPattern as isAbilityPattern, grantMatches as abilityMatches } from '../../../identity/ability.js'
import type { AgentTask, DispatchOutcome } from './task-types.js'
import type { AgentResultReply } from '../../../protocols/control/agent-task.js'

/** A poll or result the dispatcher refuses, with a stable code (the agent API maps it to an HTTP status). */
export class DispatchRequestError extends Error {
  override readonly name = 'DispatchRequestError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

export const DEFAULT_POLL_WAIT_MS = 20_000
export const MAX_POLL_WAIT_MS = 30_000
export const DEFAULT_GRACE_MS = 2_000
export const DEFAULT_TASK_TIMEOUT_MS = 30_000
export const DEFAULT_MAX_PENDING_PER_AGENT = 256
export const DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024
export const MAX_TASK_BYTES = 512 * 1024
export const MAX_POLLS_PER_AGENT = 16
export const MAX_ABILITIES_PER_POLL = 64
/** A poll keeps its registration alive this long after it ended (the agent re-polls at once). */
export const REGISTRATION_TTL_MS = 30_000
const FINISHED_MEMORY = 4096
const MAX_ERROR_MESSAGE = 1024
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/

export interface DispatchOptions {
  signal?: AbortSignal
  timeoutMs?: number
}

export interface TaskDispatcher {
  dispatch: (agentDid: string, ability: string, task: AgentTask, options?: DispatchOptions) => Promise<DispatchOutcome>
  /** Poll and result routes; `callerOf` names the authenticated agent of a request (the agent API's proof). */
  /** An agent's poll (body `{ agent?, abilities, waitMs? }`): a task for it, or none within the wait. */
  poll: (agent: string, body: unknown, signal: AbortSignal) => Promise<AgentTask | undefined>
  /** An agent's result for task `id` (body `{ ok, output?, error?, next? }`), maybe with its next task. */
  result: (id: string, agent: string, body: unknown, signal: AbortSignal) => Promise<AgentResultReply>
  /** Whether `agentDid` currently polls (or recently polled) for a pattern covering `ability`. */
  hasHandler: (agentDid: string, ability: string) => boolean
  start: () => Promise<void>
  stop: () => Promise<void>
}

export interface TaskDispatcherOptions {
  logger: Logger
  clock?: Clock
  graceMs?: number
  maxPendingPerAgent?: number
  maxOutputBytes?: number
  registrationTtlMs?: number
}

interface Entry {
  task: AgentTask
  agent: string
  ability: string
  state: 'queued' | 'delivered'
  /** Patterns of the poll that took the task: the agent counts as registered for them meanwhile. */
  patterns: readonly string[]
  settle: (outcome: DispatchOutcome) => void
}

interface Waiter {
  abilities: readonly string[]
  take: (entry: Entry) => void
  cancel: () => void
}

interface AgentState {
  queue: Entry[]
  delivered: Set<Entry>
  waiters: Set<Waiter>
  seen: Map<string, number>
}

/** Read through a call so narrowing from an earlier check does not hide a later abort. */
const aborted = (signal?: AbortSignal): boolean => signal?.aborted === true

const fail = (code: string, message: string): DispatchOutcome => ({ ok: false, code, message })

export function createTaskDispatcher (options: TaskDispatcherOptions): TaskDispatcher {
  const logger = options.logger
  const clock = options.clock ?? systemClock
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS
  const maxPending = options.maxPendingPerAgent ?? DEFAULT_MAX_PENDING_PER_AGENT
  const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES
  const ttl = options.registrationTtlMs ?? REGISTRATION_TTL_MS
  const agents = new Map<string, AgentState>()
  const tasks = new Map<string, Entry>()
  const finished = new Set<string>()
  const watchers = new Set<() => void>()
  let stopped = false

  const stateOf = (agent: string): AgentState => {
    let s = agents.get(agent)
    if (s == null) { s = { queue: [], delivered: new Set(), waiters: new Set(), seen: new Map() }; agents.set(agent, s) }
    return s
  }

  const hasHandler = (agent: string, ability: string): boolean => {
    const s = agents.get(agent)
    if (s == null) return false
    const now = clock.now()
    for (const [p, at] of s.seen) if (now - at <= ttl && abilityMatches(p, ability)) return true
    for (const w of s.waiters) if (w.abilities.some((p) => abilityMatches(p, ability))) return true
    for (const e of s.delivered) if (e.patterns.some((p) => abilityMatches(p, ability))) return true
    return false
  }

  const notify = (): void => { for (const w of [...watchers]) w() }

  const awaitHandler = async (agent: string, ability: string, ms: number, signal?: AbortSignal): Promise<boolean> => {
    if (hasHandler(agent, ability)) return true
    if (ms <= 0) return false
    return await new Promise<boolean>((resolve) => {
      const end = (v: boolean): void => {
        clearTimeout(timer); watchers.delete(check); signal?.removeEventListener('abort', onAbort); resolve(v)
      }
      const check = (): void => { if (stopped) end(false); else if (hasHandler(agent, ability)) end(true) }
      const onAbort = (): void => { end(false) }
      const timer = setTimeout(() => { end(false) }, ms)
      watchers.add(check)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  const remember = (id: string): void => {
    finished.add(id)
    if (finished.size > FINISHED_MEMORY) finished.delete(finished.values().next().value as string)
  }

  const pruneAgents = (): void => {
    const now = clock.now()
    for (const [did, s] of agents) {
      for (const [p, at] of s.seen) if (now - at > ttl) s.seen.delete(p)
      if (s.seen.size === 0 && s.queue.length === 0 && s.delivered.size === 0 && s.waiters.size === 0) agents.delete(did)
    }
  }

  /** Hand a queued entry to a waiting poll of its agent, if one serves its ability. */
  const offer = (entry: Entry): boolean => {
    const s = stateOf(entry.agent)
    for (const w of s.waiters) {
      if (w.abilities.some((p) => abilityMatches(p, entry.ability))) { w.take(entry); return true }
    }
    return false
  }

  const dispatch = async (agentDid: string, ability: string, task: AgentTask, opts: DispatchOptions = {}): Promise<DispatchOutcome> => {
    const startedAt = performance.now()
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TASK_TIMEOUT_MS
    const signal = opts.signal
    if (stopped) return fail('DISPATCHER_STOPPED', 'the node is stopping; task not delivered')
    if (typeof agentDid !== 'string' || !agentDid.startsWith('did:')) return fail('BAD_TASK', 'target agent is not a DID')
    if (!isAbility(ability)) return fail('BAD_TASK', `ability ${String(ability)} is not a concrete ability`)
    if (task == null || typeof task.id !== 'string' || task.id.length === 0 || task.id.length > 256) return fail('BAD_TASK', 'task id must be a non-empty string of at most 256 characters')
    if (task.ability !== ability) return fail('BAD_TASK', `task ability ${String(task.ability)} differs from dispatched ability ${ability}`)
    let size: number
    try { size = Buffer.byteLength(JSON.stringify(task)) } catch { return fail('BAD_TASK', 'task is not JSON-serialisable') }
    if (size > MAX_TASK_BYTES) return fail('TASK_TOO_LARGE', `task is ${size} bytes, more than ${MAX_TASK_BYTES}`)
    if (tasks.has(task.id) || finished.has(task.id)) return fail('DUPLICATE_TASK', `task ${task.id} was already dispatched`)
    if (signal?.aborted === true) return fail('ABORTED', 'dispatch aborted')
    pruneAgents()

    if (!await awaitHandler(agentDid, ability, Math.min(graceMs, timeoutMs), signal)) {
      if (aborted(signal)) return fail('ABORTED', 'dispatch aborted')
      if (stopped) return fail('DISPATCHER_STOPPED', 'the node is stopping; task not delivered')
      return fail('NO_HANDLER', `no local agent ${agentDid} is registered for ${ability}`)
    }
    if (stopped) return fail('DISPATCHER_STOPPED', 'the node is stopping; task not delivered')
    if (aborted(signal)) return fail('ABORTED', 'dispatch aborted')
    if (tasks.has(task.id) || finished.has(task.id)) return fail('DUPLICATE_TASK', `task ${task.id} was already dispatched`)
    const s = stateOf(agentDid)
    if (s.queue.length + s.delivered.size >= maxPending) return fail('AGENT_BUSY', `agent ${agentDid} already has ${maxPending} pending tasks`)
    const remaining = Math.max(0, timeoutMs - (performance.now() - startedAt))

    return await new Promise<DispatchOutcome>((resolve) => {
      const entry: Entry = {
        task: { ...task, deadline: clock.now() + remaining },
        agent: agentDid,
        ability,
        state: 'queued',
        patterns: [],
        settle: (outcome) => {
          if (tasks.get(task.id) !== entry) return
          tasks.delete(task.id)
          remember(task.id)
          const i = s.queue.indexOf(entry)
          if (i >= 0) s.queue.splice(i, 1)
          s.delivered.delete(entry)
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          logger.debug('task settled', { task: task.id, agent: agentDid, ok: outcome.ok, code: outcome.ok ? undefined : outcome.code })
          resolve(outcome)
        }
      }
      // a task the agent already took is running: its real outcome is awaited and logged, so a requester
      // that went away (a killed saga coordinator) can ask for it; only a task still queued is withdrawn
      const onAbort = (): void => { if (entry.state === 'queued') entry.settle(fail('ABORTED', 'dispatch aborted')) }
      const timer = setTimeout(() => {
        entry.settle(fail('TASK_TIMEOUT', `agent ${agentDid} did not answer task ${task.id} within ${timeoutMs} ms`))
      }, remaining)
      tasks.set(task.id, entry)
      signal?.addEventListener('abort', onAbort, { once: true })
      if (!offer(entry)) s.queue.push(entry)
    })
  }

  const checkPatterns = (abilities: unknown): string[] => {
    if (!Array.isArray(abilities) || abilities.length === 0 || abilities.length > MAX_ABILITIES_PER_POLL || !abilities.every(isAbilityPattern)) {
      throw new DispatchRequestError('BAD_REQUEST', `abilities must be 1 to ${MAX_ABILITIES_PER_POLL} patterns like "records/read" or "records/*"`)
    }
    return abilities as string[]
  }

  const poll = async (agent: string, reqBody: unknown, signal: AbortSignal): Promise<AgentTask | undefined> => {
    if (stopped) throw new DispatchRequestError('DISPATCHER_STOPPED', 'the node is stopping')
    const body = reqBody as { agent?: unknown, abilities?: unknown, waitMs?: unknown } | undefined
    if (body == null || typeof body !== 'object') throw new DispatchRequestError('BAD_REQUEST', 'poll body must be { agent, abilities, waitMs? }')
    const { waitMs } = body
    if (typeof agent !== 'string' || !agent.startsWith('did:') || agent.length > 512) throw new DispatchRequestError('BAD_REQUEST', 'agent must be a DID')
    // an agent polls only for tasks addressed to itself
    if (body.agent !== undefined && body.agent !== agent) throw new DispatchRequestError('WRONG_AGENT', `${agent} cannot poll for ${String(body.agent).slice(0, 80)}`)
    const patterns = checkPatterns(body.abilities)
    if (waitMs !== undefined && (typeof waitMs !== 'number' || !Number.isFinite(waitMs) || waitMs < 0)) throw new DispatchRequestError('BAD_REQUEST', 'waitMs must be a non-negative number')
    return await take(agent, patterns, Math.min(waitMs ?? DEFAULT_POLL_WAIT_MS, MAX_POLL_WAIT_MS), signal)
  }

  /** A queued task of `agent` matching `patterns`, else one offered within `wait` ms, else undefined. */
  const take = async (agent: string, patterns: readonly string[], wait: number, signal: AbortSignal): Promise<AgentTask | undefined> => {
    const s = stateOf(agent)
    const touch = (): void => { const now = clock.now(); for (const p of patterns) s.seen.set(p, now) }
    touch()

    const deliver = (entry: Entry): AgentTask => {
      const i = s.queue.indexOf(entry)
      if (i >= 0) s.queue.splice(i, 1)
      entry.state = 'delivered'
      entry.patterns = patterns
      s.delivered.add(entry)
      logger.debug('task delivered', { task: entry.task.id, agent })
      return entry.task
    }
    const queued = s.queue.find((e) => patterns.some((p) => abilityMatches(p, e.ability)))
    if (queued != null) return deliver(queued)
    if (wait === 0 || signal.aborted) { notify(); return undefined }
    if (s.waiters.size >= MAX_POLLS_PER_AGENT) throw new DispatchRequestError('TOO_MANY_POLLS', `agent ${agent} already has ${MAX_POLLS_PER_AGENT} open polls`)

    return await new Promise<AgentTask | undefined>((resolve) => {
      const end = (task: AgentTask | undefined): void => {
        s.waiters.delete(waiter)
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        touch()
        resolve(task)
      }
      const waiter: Waiter = { abilities: patterns, take: (entry) => { end(deliver(entry)) }, cancel: () => { end(undefined) } }
      const onAbort = (): void => { end(undefined) }
      const timer = setTimeout(() => { end(undefined) }, wait)
      s.waiters.add(waiter)
      signal.addEventListener('abort', onAbort, { once: true })
      notify()
    })
  }

  /**
   * The agent's result for a task. With `next: { abilities }` the same exchange also takes the agent's
   * next queued task (without waiting): under load an agent answers one task and receives the next in
   * one request, half the HTTP exchanges and signed proofs per task of a poll then a result.
   */
  const result = async (id: string, agent: string, reqBody: unknown, signal: AbortSignal): Promise<AgentResultReply> => {
    const entry = tasks.get(id)
    // a task addressed to another agent does not exist for this one
    if (entry != null && entry.agent !== agent) throw new DispatchRequestError('TASK_NOT_FOUND', `no pending task ${id}`)
    if (entry == null) {
      if (finished.has(id)) throw new DispatchRequestError('TASK_ALREADY_FINISHED', `task ${id} already has a result or timed out`)
      throw new DispatchRequestError('TASK_NOT_FOUND', `no pending task ${id}`)
    }
    const body = reqBody as { ok?: unknown, output?: unknown, error?: { code?: unknown, message?: unknown }, agent?: unknown, next?: { abilities?: unknown } } | undefined
    if (body == null || typeof body !== 'object' || typeof body.ok !== 'boolean') throw new DispatchRequestError('BAD_REQUEST', 'result body must be { ok, output?, error?, next? }')
    if (body.next !== undefined && (body.next == null || typeof body.next !== 'object')) throw new DispatchRequestError('BAD_REQUEST', 'next must be { abilities }')
    // checked before the result settles anything: a malformed request changes nothing
    const nextPatterns = body.next !== undefined ? checkPatterns(body.next.abilities) : undefined
    if (body.agent !== undefined && body.agent !== entry.agent) throw new DispatchRequestError('WRONG_AGENT', `task ${id} was not given to ${String(body.agent)}`)
    if (entry.state !== 'delivered') throw new DispatchRequestError('TASK_NOT_DELIVERED', `task ${id} has not been delivered to an agent`)
    if (body.ok) {
      const size = body.output === undefined ? 0 : Buffer.byteLength(JSON.stringify(body.output))
      if (size > maxOutput) {
        entry.settle(fail('OUTPUT_TOO_LARGE', `agent output is ${size} bytes, more than ${maxOutput}`))
        throw new DispatchRequestError('OUTPUT_TOO_LARGE', `output is ${size} bytes, more than ${maxOutput}`)
      }
      entry.settle({ ok: true, output: body.output })
    } else {
      const e = body.error
      const code = typeof e?.code === 'string' && CODE.test(e.code) ? e.code : 'HANDLER_ERROR'
      const message = typeof e?.message === 'string' ? e.message.slice(0, MAX_ERROR_MESSAGE) : 'task handler failed'
      entry.settle(fail(code, message))
    }
    // an agent that already went away is handed nothing (the task would wait for its timeout)
    if (nextPatterns == null || stopped || signal.aborted) return { accepted: true }
    const next = await take(agent, nextPatterns, 0, signal)
    return { accepted: true, ...(next != null ? { next } : {}) }
  }

  return {
    dispatch,
    hasHandler,
    poll,
    result,
    start: async () => { stopped = false },
    stop: async () => {
      if (stopped) return
      stopped = true
      for (const e of [...tasks.values()]) e.settle(fail('DISPATCHER_STOPPED', 'the node is stopping'))
      for (const s of agents.values()) for (const w of [...s.waiters]) w.cancel()
      notify()
    }
  }
}
