/**
 * agents (`/trustmesh/agents/1.0.0`): ask a partner node for the AgentCredentials of the agents it
 * hosts, so tasks and delegations can be routed to an agent's node and its ring is known, and the
 * Agent Cards its org signed for them (what the A2A edge serves).
 */
import { arrayOf, literal, object, schemaOf, str } from '../schema.js'

export const AGENTS_PROTOCOL = '/trustmesh/agents/1.0.0'
export const AGENTS_MAX_BYTES = 1024 * 1024
export const MAX_AGENTS_LISTED = 256
export const AGENTS_TIMEOUT_MS = 10_000
export const AGENTS_MAX_INBOUND_STREAMS = 4

export interface AgentsRequest { v: 1 }
/** `cards`: each local agent's A2A Agent Card (JSON text), signed by the org (agent-card.ts). */
export interface AgentsReply { credentials: string[], cards?: string[] }

export const agentsRequestSchema = schemaOf<AgentsRequest>('agentsRequest', object({ v: literal(1) }))
export const agentsReplySchema = schemaOf<AgentsReply>('agentsReply', object({ credentials: arrayOf(str(16 * 1024), MAX_AGENTS_LISTED), cards: arrayOf(str(16 * 1024), MAX_AGENTS_LISTED, { optional: true }) }))
