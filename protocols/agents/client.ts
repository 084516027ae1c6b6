/**
 * The asking end of the agents directory: a partner's AgentCredentials. They are untrusted here; the
 * caller keeps only those that verify against that partner's org.
 */
import { requestReply, signalOrTimeout, streamFor, type StreamTarget } from '../request-response.js'
import { AGENTS_MAX_BYTES, AGENTS_PROTOCOL, AGENTS_TIMEOUT_MS, agentsReplySchema, type AgentsReply } from './messages.js'

export async function requestAgents (target: StreamTarget, options: { signal?: AbortSignal } = {}): Promise<string[]> {
  return (await requestAgentsReply(target, options)).credentials
}

/** The whole reply: credentials and the signed Agent Cards (both untrusted until verified). */
export async function requestAgentsReply (target: StreamTarget, options: { signal?: AbortSignal } = {}): Promise<AgentsReply> {
  const signal = signalOrTimeout(options.signal, AGENTS_TIMEOUT_MS)
  const stream = await streamFor(target, AGENTS_PROTOCOL, signal)
  return await requestReply(stream, AGENTS_MAX_BYTES, { v: 1 }, agentsReplySchema, signal)
}
