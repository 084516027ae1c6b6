/**
 * The one-request, one-reply exchange most trustmesh protocols use, for both ends. The stream is
 * closed after a complete exchange and reset on any failure (malformed or oversized message,
 * timeout, handler error), so no caller can leave a half-used stream behind.
 */
import type { Stream } from '@libp2p/interface'
import { jsonStream, type Schema } from './codec.js'

/** Send `request` and read one reply that must pass `replySchema`; throws ProtocolError or the stream's error. */
export async function requestReply<T> (stream: Stream, maxBytes: number, request: unknown, replySchema: Schema<T>, signal: AbortSignal): Promise<T> {
  const js = jsonStream(stream, maxBytes)
  try {
    await js.write(request, { signal })
    const reply = await js.read(replySchema, { signal })
    await stream.close().catch(() => {})
    return reply
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}

export type Served<R> = { ok: true, reply: R } | { ok: false, error: Error }

/** Read one request that must pass `requestSchema`, answer it with `answer`, close; reset the stream on failure. */
export async function serveRequest<Q, R> (stream: Stream, maxBytes: number, requestSchema: Schema<Q>, timeoutMs: number, answer: (request: Q, signal: AbortSignal) => Promise<R>): Promise<Served<R>> {
  const js = jsonStream(stream, maxBytes)
  const signal = AbortSignal.timeout(timeoutMs)
  try {
    const request = await js.read(requestSchema, { signal })
    const reply = await answer(request, signal)
    await js.write(reply, { signal })
    await stream.close()
    return { ok: true, reply }
  } catch (err) {
    stream.abort(err as Error)
    return { ok: false, error: err as Error }
  }
}
