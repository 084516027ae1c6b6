/**
 * The listening end of hello: read the dialer's Hello, verify it, and answer with our own Hello or a
 * refusal with its reason code. A verified peer is accepted before our reply is written, so it may
 * use the connection as soon as it reads the reply. What happens to a connection that failed (refuse
 * the peer, close the connection) is the caller's decision, made from the returned outcome.
 */
import type { Stream } from '@libp2p/interface'
import type { Logger } from '../../identity/logger.js'
import type { Result } from '../../identity/result.js'
import { jsonStream, ProtocolError } from '../codec.js'
import { HELLO_MAX_BYTES, HELLO_TIMEOUT_MS, helloSchema, type HelloMessage, type HelloReply } from './messages.js'
import type { VerifiedHello } from './verify.js'

export interface HelloComponents {
  /** This node's Hello, built fresh for each exchange. */
  localHello: () => HelloMessage
  /** Check a peer's Hello against the PeerId its connection authenticated (see verifyHello). */
  verify: (hello: HelloMessage) => Result<VerifiedHello>
  /** Record the verified peer; called once, before the exchange's last message. */
  accept: (peer: VerifiedHello) => void
}

export type HelloOutcome = { ok: true, peer: VerifiedHello } | { ok: false, code: string, message: string }

/**
 * Answer one inbound hello stream within `timeoutMs` (default HELLO_TIMEOUT_MS). On a bad or
 * unverifiable hello the stream is reset or closed and `{ ok: false }` says why.
 */
export async function handleHello (stream: Stream, components: HelloComponents & { logger: Pick<Logger, 'debug'> }, options: { timeoutMs?: number } = {}): Promise<HelloOutcome> {
  // hello does no work between its read and its write: the timeout bounds the stream's whole life
  const signal = AbortSignal.timeout(options.timeoutMs ?? HELLO_TIMEOUT_MS)
  const js = jsonStream(stream, HELLO_MAX_BYTES)
  let hello: HelloMessage
  try {
    hello = await js.read(helloSchema, { signal })
  } catch (err) {
    const code = err instanceof ProtocolError ? err.code : 'HELLO_FAILED'
    components.logger.debug('bad hello', { code, error: (err as Error).message, name: (err as Error).name })
    stream.abort(err as Error)
    return { ok: false, code, message: (err as Error).message }
  }
  const v = components.verify(hello)
  if (!v.ok) {
    await js.write({ ok: false, code: v.error.code, message: v.error.message } satisfies HelloReply, { signal }).catch(() => {})
    await stream.close().catch(() => {})
    return { ok: false, code: v.error.code, message: v.error.message }
  }
  components.accept(v.value)
  try {
    await js.write({ ok: true, hello: components.localHello() } satisfies HelloReply, { signal })
    await stream.close()
  } catch (err) {
    components.logger.debug('hello reply not delivered', { error: (err as Error).message })
  }
  return { ok: true, peer: v.value }
}
