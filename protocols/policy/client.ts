/**
 * The asking end of the policy protocol: fetch a document by digest. The reply is untrusted: the
 * caller re-validates it and checks that it hashes to the digest before use.
 */
import { requestReply, signalOrTimeout, streamFor, type StreamTarget } from '../request-response.js'
import { POLICY_MAX_BYTES, POLICY_PROTOCOL, POLICY_TIMEOUT_MS, policyReplySchema, type PolicyReply } from './messages.js'

export async function requestPolicy (target: StreamTarget, digest: string, options: { signal?: AbortSignal } = {}): Promise<PolicyReply> {
  const signal = signalOrTimeout(options.signal, POLICY_TIMEOUT_MS)
  const stream = await streamFor(target, POLICY_PROTOCOL, signal)
  return await requestReply(stream, POLICY_MAX_BYTES, { v: 1, digest }, policyReplySchema, signal)
}
