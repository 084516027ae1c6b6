/** The requesting end of saga: ask the executing node for a step's undo grant; throws on stream or message errors. */
import { requestReply, signalOrTimeout, streamFor, type StreamTarget } from '../request-response.js'
import { SAGA_MAX_BYTES, SAGA_PROTOCOL, SAGA_TIMEOUT_MS, undoGrantReplySchema, type UndoGrantReply, type UndoGrantRequest } from './messages.js'

export async function requestUndoGrant (target: StreamTarget, request: UndoGrantRequest, options: { signal?: AbortSignal } = {}): Promise<UndoGrantReply> {
  const signal = signalOrTimeout(options.signal, SAGA_TIMEOUT_MS)
  const stream = await streamFor(target, SAGA_PROTOCOL, signal)
  return await requestReply(stream, SAGA_MAX_BYTES, request, undoGrantReplySchema, signal)
}
