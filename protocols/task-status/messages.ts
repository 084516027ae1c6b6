/**
 * task-status (`/trustmesh/task-status/1.0.0`): the requester of a task that came back `pending`
 * asks the executing node for its outcome; the answer carries the executing node's signed receipt.
 */
import { anyJson, bool, int, literal, object, schemaOf, str } from '../schema.js'

export const TASK_STATUS_PROTOCOL = '/trustmesh/task-status/1.0.0'
export const TASK_STATUS_MAX_BYTES = 512 * 1024
export const TASK_STATUS_MAX_INBOUND_STREAMS = 16
export const TASK_STATUS_TIMEOUT_MS = 5_000

export interface TaskStatusRequest { v: 1, taskId: string }
export interface TaskStatusReply {
  v: 1
  found: boolean
  /** `pending` while the approval is open; otherwise the final outcome. */
  outcome?: 'ok' | 'error' | 'denied' | 'pending'
  code?: string
  reason?: string
  output?: unknown
  receipt?: string
  approvalId?: string
  /** Approval deadline (ms since the epoch) while pending. */
  deadline?: number
}

export const taskStatusRequestSchema = schemaOf<TaskStatusRequest>('taskStatusRequest', object({ v: literal(1), taskId: str(128) }))
export const taskStatusReplySchema = schemaOf<TaskStatusReply>('taskStatusReply', object({
  v: literal(1),
  found: bool(),
  outcome: literal('ok', 'error', 'denied', 'pending', undefined),
  code: str(64, { optional: true }),
  reason: str(4096, { optional: true }),
  output: anyJson,
  receipt: str(8 * 1024, { optional: true }),
  approvalId: str(128, { optional: true }),
  deadline: int(0, Number.MAX_SAFE_INTEGER, { optional: true })
}))
