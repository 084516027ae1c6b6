/**
 * The saga wire shapes of the operator API (`/v1/sagas`) and the agent API (`/v1/agent/sagas`): the
 * plan a saga's invoker signs (one delegation a step to the node's coordinator) and the views of a
 * saga. The node builds them (node/api/operator/saga-routes.ts); the CLI and the SDK read them.
 */
import type { SigningPlan } from './task-plan.js'

/** One delegation the invoking agent signs: to the coordinator, the step's ability on its resource, under `proof`. */
export interface SagaStepGrant extends SigningPlan {
  step: string
}

export interface SagaPlan {
  coordinator: string
  invoker: string
  /** The saga's deadline if submitted now (ms since the epoch). */
  deadline: number
  grants: SagaStepGrant[]
}

export interface SagaStepView {
  id: string
  state: string
  to?: string
  ability?: string
  resource?: string
  undo?: string
  undoGrant?: string
  task?: string
  outcome?: string
  code?: string
  reason?: string
  output?: unknown
  compensation?: { attempts: number, outcome?: string, code?: string }
}

export interface SagaTimelineEvent { at: number, hop: string, kind: string, outcome: string, code: string, reason?: string, taskId?: string }

/** A saga as listed (`timeline` absent) or shown (with its timeline). */
export interface SagaView {
  id: string
  name: string | null
  state: string
  invoker: string
  createdAt: number
  updatedAt?: number
  deadline: number
  failure?: { step: string, code: string, reason: string }
  cancelRequested?: boolean
  steps: SagaStepView[]
  timeline?: SagaTimelineEvent[]
}

/** States a saga ends in. */
export const TERMINAL_SAGA_VIEW_STATES: readonly string[] = ['completed', 'compensated', 'stuck']
