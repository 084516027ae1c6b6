/** The delivering end: send a granted delegation to the audience agent's node and read its verdict. */
import { requestReply, signalOrTimeout, streamFor, type StreamTarget } from '../request-response.js'
import { DELEGATION_MAX_BYTES, DELEGATION_PROTOCOL, DELEGATION_TIMEOUT_MS, deliveryReplySchema, type DelegationDelivery, type DeliveryReply } from './messages.js'

export async function deliverDelegation (target: StreamTarget, delivery: DelegationDelivery, options: { signal?: AbortSignal } = {}): Promise<DeliveryReply> {
  const signal = signalOrTimeout(options.signal, DELEGATION_TIMEOUT_MS)
  const stream = await streamFor(target, DELEGATION_PROTOCOL, signal)
  return await requestReply(stream, DELEGATION_MAX_BYTES, delivery, deliveryReplySchema, signal)
}
