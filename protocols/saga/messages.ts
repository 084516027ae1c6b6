/**
 * saga (`/trustmesh/saga/1.0.0`): before a step runs, the coordinator asks the executing side's node
 * to grant it the step's compensation ability on the step's resource. The executing node decides under
 * its own policy and answers with the delegation (and the proofs and credentials it rests on), or a
 * refusal with a reason code; a step whose undo is refused never starts.
 */
import { int, literal, object, recordOf, schemaOf, str, bool } from '../schema.js'

export const SAGA_PROTOCOL = '/trustmesh/saga/1.0.0'
export const SAGA_MAX_BYTES = 256 * 1024
export const SAGA_TIMEOUT_MS = 10_000
export const SAGA_MAX_INBOUND_STREAMS = 32

export interface UndoGrantRequest {
  v: 1
  /** Saga id and the step's stable id, for the executing side's audit log. */
  saga: string
  step: string
  /** The coordinator principal (an agent of the asking org) and its AgentCredential. */
  coordinator: string
  credential: string
  /** The coordinator's acceptance of that credential (a partner binds a principal only with both). */
  acceptance?: string
  /** The agent that will run the step (and its compensation). */
  executor: string
  ability: string
  resource: string
  /** Until when the undo must stay usable (seconds since the epoch): the saga's deadline. */
  expiresAt: number
}

export interface UndoGrantReply {
  v: 1
  ok: boolean
  code?: string
  message?: string
  /** The delegation to the coordinator, and the proofs and credentials it rests on. */
  delegation?: string
  proofs?: Record<string, string>
  credentials?: Record<string, string>
}

export const undoGrantRequestSchema = schemaOf<UndoGrantRequest>('undoGrantRequest', object({
  v: literal(1),
  saga: str(128),
  step: str(256),
  coordinator: str(128),
  credential: str(16 * 1024),
  acceptance: str(2048, { optional: true }),
  executor: str(128),
  ability: str(256),
  resource: str(1024),
  expiresAt: int(0, Number.MAX_SAFE_INTEGER)
}))

export const undoGrantReplySchema = schemaOf<UndoGrantReply>('undoGrantReply', object({
  v: literal(1),
  ok: bool(),
  code: str(64, { optional: true }),
  message: str(2048, { optional: true }),
  delegation: str(16 * 1024, { optional: true }),
  proofs: recordOf(str(16 * 1024), 16, { optional: true }),
  credentials: recordOf(str(16 * 1024), 16, { optional: true })
}))
