/**
 * The state of one saga as the coordinator persists it before every step and state change: the
 * document, each step's stable ids, its undo grant, the invocation it sent (kept so that a coordinator
 * that restarts asks for that task's outcome instead of sending a new one), and a timeline of every hop
 * with its outcome and reason code. Pure data and small pure helpers.
 */
import type { SagaDocument } from './saga-document.js'

export type SagaState = 'running' | 'compensating' | 'completed' | 'compensated' | 'stuck'
export const TERMINAL_SAGA_STATES: readonly SagaState[] = ['completed', 'compensated', 'stuck']

export type StepState =
  /** Not started. */
  | 'pending'
  /** The undo grant was asked for (the executing side may or may not have answered). */
  | 'undo-requested'
  /** The executing side refused the undo: the step never starts. */
  | 'undo-refused'
  /** The invocation is persisted and may have been sent: its outcome is asked for, never re-invented. */
  | 'sending'
  | 'done'
  | 'failed'
  /** Never started because the saga stopped before it. */
  | 'skipped'
  | 'compensating'
  | 'compensated'
  /** Compensation kept failing until the deadline. */
  | 'stuck'

/** An invocation persisted before it is sent: its CID is the task's stable id at the executing node. */
export interface SentTask {
  /** Stable id of this attempt: `<saga>/<step>` or `<saga>/<step>/undo/<n>`. */
  id: string
  /** Invocation CID (the task id at the executing node). */
  taskId: string
  targetOrg: string
  /** The task request exactly as sent (invocation, proofs, credentials, args). */
  request: unknown
  timeoutMs: number
  sentAt: number
}

export interface HopOutcome {
  outcome: 'ok' | 'error' | 'denied'
  code: string
  reason?: string
  output?: unknown
  receipt?: string
}

export interface StepRecord {
  index: number
  id: string
  state: StepState
  /** The undo delegation the executing side granted the coordinator (its CID). */
  undo?: string
  task?: SentTask
  result?: HopOutcome
  compensation?: {
    attempts: number
    task?: SentTask
    result?: HopOutcome
    /** Earliest time of the next attempt (backoff). */
    nextAt?: number
  }
}

export interface TimelineEvent {
  at: number
  /** `saga` for state changes, else the step id. */
  hop: string
  kind: 'state' | 'undo-grant' | 'step' | 'compensation' | 'resume' | 'cancel'
  outcome: string
  code: string
  reason?: string
  taskId?: string
}

export interface SagaRecord {
  id: string
  name?: string
  /** The agent that submitted it (DID) and its name. */
  invoker: string
  invokerName: string
  /** The coordinator principal (this node's saga agent). */
  coordinator: string
  state: SagaState
  createdAt: number
  updatedAt: number
  /** Absolute deadline (ms). */
  deadline: number
  document: SagaDocument
  /** Invoker -> coordinator delegation per step, by step id (CIDs). */
  delegations: Record<string, string>
  steps: StepRecord[]
  cancelRequested?: boolean
  /** Why the saga stopped going forward. */
  failure?: { step: string, code: string, reason: string }
  /** Compensations are retried until this time (ms), then the saga is `stuck`. */
  compensateUntil?: number
  timeline: TimelineEvent[]
}

/** At most this many timeline events are kept (older retries are summarised away). */
export const MAX_TIMELINE = 500

export function isTerminal (s: SagaState): boolean {
  return TERMINAL_SAGA_STATES.includes(s)
}

/** Compensation retry delay: exponential from `baseMs`, capped at `maxMs`. */
export function backoffMs (attempt: number, baseMs = 200, maxMs = 10_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
}

/** Task codes where the executing node may still have run the task: ask for its outcome. */
export const UNCERTAIN_CODES: readonly string[] = ['TASK_TIMEOUT', 'PEER_UNREACHABLE', 'TASK_FAILED', 'NO_RECEIPT', 'BAD_RECEIPT', 'ABORTED']

/**
 * Final step codes after which the step may still have run: the executing node stopped waiting for
 * its agent (a timeout, the node stopping), but an agent that had taken the task may finish it later.
 */
export const MAY_HAVE_RUN_CODES: readonly string[] = ['TASK_TIMEOUT', 'DISPATCHER_STOPPED']

/** The steps to compensate, in reverse order: those that completed (or may have). */
export function stepsToCompensate (r: SagaRecord): StepRecord[] {
  return r.steps.filter(s => s.state === 'done' || s.state === 'compensating' || (s.state === 'failed' && s.result != null && MAY_HAVE_RUN_CODES.includes(s.result.code))).reverse()
}
