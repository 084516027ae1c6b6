/** The serving end of the agents directory: the credentials of the agents this node hosts (at most MAX_AGENTS_LISTED). */
import type { Stream } from '@libp2p/interface'
import { serveRequest } from '../request-response.js'
import { AGENTS_MAX_BYTES, AGENTS_TIMEOUT_MS, MAX_AGENTS_LISTED, agentsRequestSchema, type AgentsReply } from './messages.js'

export interface AgentsHandlerComponents {
  /** AgentCredentials (JWTs) of the local agents that have not expired. */
  listAgentCredentials: () => Promise<string[]>
  /** Signed Agent Cards of the local agents (JSON text); optional. */
  listAgentCards?: () => Promise<string[]>
}

export function createAgentsHandler (components: AgentsHandlerComponents, options: { timeoutMs?: number } = {}): (stream: Stream) => Promise<void> {
  return async (stream) => {
    await serveRequest(stream, AGENTS_MAX_BYTES, agentsRequestSchema, options.timeoutMs ?? AGENTS_TIMEOUT_MS, async (): Promise<AgentsReply> => ({
      credentials: (await components.listAgentCredentials()).slice(0, MAX_AGENTS_LISTED),
      ...(components.listAgentCards != null ? { cards: (await components.listAgentCards()).slice(0, MAX_AGENTS_LISTED) } : {})
    }))
  }
}
