/** The asking end of echo: one message on a new stream, the same message back. */
import { requestReply, signalOrTimeout, streamFor, type StreamTarget } from '../request-response.js'
import { ProtocolError } from '../codec.js'
import { ECHO_MAX_BYTES, ECHO_PROTOCOL, ECHO_TIMEOUT_MS, echoSchema, type EchoMessage } from './messages.js'

export async function sendEcho (target: StreamTarget, message: EchoMessage, options: { signal?: AbortSignal } = {}): Promise<EchoMessage> {
  const signal = signalOrTimeout(options.signal, ECHO_TIMEOUT_MS)
  const stream = await streamFor(target, ECHO_PROTOCOL, signal)
  const reply = await requestReply(stream, ECHO_MAX_BYTES, message, echoSchema, signal)
  if (reply.n !== message.n || reply.payload !== message.payload) throw new ProtocolError('MALFORMED_MESSAGE', 'echo reply differs from the request')
  return reply
}
