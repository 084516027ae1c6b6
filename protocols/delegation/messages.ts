/**
 * delegation (`/trustmesh/delegation/1.0.0`): a node delivers a delegation its agent granted to the
 * node of the audience agent, with the proofs and AgentCredentials it rests on.
 */
import { literal, object, recordOf, schemaOf, str, bool } from '../schema.js'

export const DELEGATION_PROTOCOL = '/trustmesh/delegation/1.0.0'
export const DELEGATION_MAX_BYTES = 512 * 1024
export const DELEGATION_TIMEOUT_MS = 10_000
export const DELEGATION_MAX_INBOUND_STREAMS = 8

export interface DelegationDelivery {
  v: 1
  delegation: string
  proofs: Record<string, string>
  credentials: Record<string, string>
  /** The agents' acceptances of those credentials, keyed by credential CID (optional: older nodes send none). */
  acceptances?: Record<string, string>
}

export interface DeliveryReply { ok: boolean, code?: string, message?: string }

export const deliverySchema = schemaOf<DelegationDelivery>('delegation', object({
  v: literal(1),
  delegation: str(16 * 1024),
  proofs: recordOf(str(16 * 1024), 64),
  credentials: recordOf(str(16 * 1024), 64),
  acceptances: recordOf(str(2048), 64, { optional: true })
}))

export const deliveryReplySchema = schemaOf<DeliveryReply>('deliveryReply', object({ ok: bool(), code: str(64, { optional: true }), message: str(1024, { optional: true }) }))
