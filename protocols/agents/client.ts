/**
 * The asking end of the agents directory: a partner's AgentCredentials. They are untrusted here; the
 * caller keeps only those that verify against that partner's org.
 */
import { requestReply, signalOrTimeout, streamFor, type StreamTarget } from '../request-response.js'
import { AGENTS_MAX_BYTES, AGENTS_PROTOCOL, AGENTS_TIMEOUT_MS, agentsReplySchema } from './messages.js'

export async function requestAgents (target: StreamTarget, options: { signal?: AbortSignal } = {}): Promise<{ credentials: string[], acceptances: Record<string, string> }> {
  const signal = signalOrTimeout(options.signal, AGENTS_TIMEOUT_MS)
  const stream = await streamFor(target, AGENTS_PROTOCOL, signal)
  const r = await requestReply(stream, AGENTS_MAX_BYTES, { v: 1 }, agentsReplySchema, signal)
  return { credentials: r.credentials, acceptances: r.acceptances ?? {} }
}
