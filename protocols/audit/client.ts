/**
 * The log owner's end of the audit protocol: ask a witness to cosign a checkpoint. The reply is
 * untrusted: the caller checks the returned cosignature before keeping it.
 */
import { requestReply, signalOrTimeout, streamFor, type StreamTarget } from '../request-response.js'
import { AUDIT_MAX_BYTES, AUDIT_PROTOCOL, AUDIT_TIMEOUT_MS, cosignReplySchema, type CosignReply, type CosignRequest } from './messages.js'

export async function requestCosign (target: StreamTarget, request: CosignRequest, options: { signal?: AbortSignal } = {}): Promise<CosignReply> {
  const signal = signalOrTimeout(options.signal, AUDIT_TIMEOUT_MS)
  const stream = await streamFor(target, AUDIT_PROTOCOL, signal)
  return await requestReply(stream, AUDIT_MAX_BYTES, request, cosignReplySchema, signal)
}
