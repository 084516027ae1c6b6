/**
 * The dialling end of hello: open the hello stream, send our Hello, read the listener's reply and
 * verify its Hello. The outcome says whose fault a failure is, so the caller can refuse a peer that
 * misbehaved and only back off from one that could not (yet) complete hello.
 */
import type { Connection } from '@libp2p/interface'
import { jsonStream, ProtocolError } from '../codec.js'
import { signalOrTimeout } from '../request-response.js'
import { HELLO_MAX_BYTES, HELLO_PROTOCOL, HELLO_TIMEOUT_MS, helloReplySchema, type HelloReply } from './messages.js'
import type { HelloComponents } from './handler.js'
import type { VerifiedHello } from './verify.js'

/**
 * - `peer`: the peer misbehaved (malformed or oversized reply, a Hello that does not verify);
 * - `refused`: the peer answered with a refusal (it does not accept us, yet);
 * - `none`: the exchange could not run (no stream, stream closed, silence until the timeout).
 */
export type HelloDialOutcome =
  | { ok: true, peer: VerifiedHello }
  | { ok: false, blame: 'peer' | 'refused' | 'none', code: string, message: string }

export async function requestHello (connection: Pick<Connection, 'newStream'>, components: HelloComponents, options: { signal?: AbortSignal } = {}): Promise<HelloDialOutcome> {
  const signal = signalOrTimeout(options.signal, HELLO_TIMEOUT_MS)
  let stream
  try {
    stream = await connection.newStream(HELLO_PROTOCOL, { signal })
  } catch (err) {
    // most often the remote's gater closed the connection
    return { ok: false, blame: 'none', code: 'HELLO_UNAVAILABLE', message: `could not open hello: ${(err as Error).message}` }
  }
  const js = jsonStream(stream, HELLO_MAX_BYTES)
  let reply: HelloReply
  try {
    await js.write(components.localHello(), { signal })
    reply = await js.read(helloReplySchema, { signal })
  } catch (err) {
    const code = err instanceof ProtocolError ? err.code : 'HELLO_FAILED'
    // a malformed or oversized reply is the peer's fault; a closed or silent stream may not be
    const blame = code === 'MALFORMED_MESSAGE' || code === 'MESSAGE_TOO_LARGE' ? 'peer' : 'none'
    return { ok: false, blame, code, message: (err as Error).message }
  }
  if (!reply.ok) return { ok: false, blame: 'refused', code: reply.code, message: reply.message }
  const v = components.verify(reply.hello)
  if (!v.ok) return { ok: false, blame: 'peer', code: v.error.code, message: v.error.message }
  components.accept(v.value)
  await stream.close().catch(() => {})
  return { ok: true, peer: v.value }
}
