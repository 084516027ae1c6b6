/**
 * task (`/trustmesh/task/1.0.0`): the invoker's node sends an invocation with its proofs (keyed by
 * CID), the AgentCredentials of the principals along the chain and the task arguments; the target
 * node answers with the outcome and a receipt it signed.
 */
import { anyJson, literal, object, recordOf, schemaOf, str, int } from '../schema.js'

/** An acceptance JWT (agent DID, org DID, credential CID, iat, signature) is well under this. */
export const ACCEPTANCE_MAX_CHARS = 2048

export const TASK_PROTOCOL = '/trustmesh/task/1.0.0'
export const TASK_MAX_BYTES = 512 * 1024
export const TASK_MAX_INBOUND_STREAMS = 64
export const TASK_TIMEOUT_MS = 30_000
/** The serving end: reading the request and writing the reply each had TASK_TIMEOUT_MS; execution is bounded by dispatch. */
export const TASK_HANDLER_TIMEOUT_MS = 2 * TASK_TIMEOUT_MS

export interface TaskRequest {
  v: 1
  invocation: string
  proofs: Record<string, string>
  credentials: Record<string, string>
  /** The agents' acceptances of those credentials, keyed by credential CID (optional: older nodes send none). */
  acceptances?: Record<string, string>
  args?: unknown
}

export interface TaskReply {
  outcome: 'ok' | 'error' | 'denied' | 'pending'
  code: string
  reason?: string
  output?: unknown
  receipt?: string
  approvalId?: string
  /** Link of the chain a refusal concerns. */
  link?: number
}

export const taskRequestSchema = schemaOf<TaskRequest>('task', object({
  v: literal(1),
  invocation: str(16 * 1024),
  proofs: recordOf(str(16 * 1024), 64),
  credentials: recordOf(str(16 * 1024), 64),
  acceptances: recordOf(str(ACCEPTANCE_MAX_CHARS), 64, { optional: true }),
  args: anyJson
}))

export const taskReplySchema = schemaOf<TaskReply>('taskReply', object({
  outcome: literal('ok', 'error', 'denied', 'pending'),
  code: str(64),
  reason: str(4096, { optional: true }),
  output: anyJson,
  receipt: str(8 * 1024, { optional: true }),
  approvalId: str(128, { optional: true }),
  link: int(0, 64, { optional: true })
}))
