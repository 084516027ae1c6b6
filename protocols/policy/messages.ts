/**
 * policy (`/trustmesh/policy/1.0.0`): fetch a policy document by digest. The answer is the canonical
 * JSON of the effective policy (`{ levels: [document, ...] }`), which the asker re-validates and
 * digest-checks before use; a node serves only its own policy and documents it verified itself.
 *
 * The task-status messages, which used to live here, are in ../task-status/messages.ts (re-exported).
 */
import { bool, literal, object, schemaOf, str } from '../schema.js'
import { MAX_POLICY_BYTES } from '../../authz/index.js'

export const POLICY_PROTOCOL = '/trustmesh/policy/1.0.0'
/** A canonical effective policy plus framing. */
export const POLICY_MAX_BYTES = MAX_POLICY_BYTES * 2 + 1024
export const POLICY_MAX_INBOUND_STREAMS = 16
export const POLICY_TIMEOUT_MS = 5_000

const DIGEST = /^sha256:[0-9a-f]{64}$/

export interface PolicyRequest { v: 1, digest: string }
export interface PolicyReply { v: 1, found: boolean, policy?: string }

export const policyRequestSchema = schemaOf<PolicyRequest>('policyRequest', object({ v: literal(1), digest: str(80, { pattern: DIGEST }) }))
export const policyReplySchema = schemaOf<PolicyReply>('policyReply', object({ v: literal(1), found: bool(), policy: str(POLICY_MAX_BYTES, { optional: true }) }))

export {
  TASK_STATUS_PROTOCOL, TASK_STATUS_MAX_BYTES, TASK_STATUS_MAX_INBOUND_STREAMS, TASK_STATUS_TIMEOUT_MS,
  taskStatusRequestSchema, taskStatusReplySchema, type TaskStatusRequest, type TaskStatusReply
} from '../task-status/messages.js'
