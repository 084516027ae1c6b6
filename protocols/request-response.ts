/**
 * The one-request, one-reply exchange most trustmesh protocols use, for both ends. The stream is
 * closed after a complete exchange and reset on any failure (malformed or oversized message,
 * timeout, handler error), so no caller can leave a half-used stream behind.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { jsonStream, type Schema } from './codec.js'

/** Where a client sends a request: a stream of the protocol already open, or a connection to open one on. */
export type StreamTarget = Stream | Pick<Connection, 'newStream'>

/** The stream of `protocol` for `target`: `target` itself, or a new stream on the connection. */
export async function streamFor (target: StreamTarget, protocol: string, signal: AbortSignal): Promise<Stream> {
  const conn = target as Partial<Pick<Connection, 'newStream'>>
  return typeof conn.newStream === 'function' ? await conn.newStream(protocol, { signal }) : target as Stream
}

/** The caller's signal, or the protocol's default timeout when none is given. */
export function signalOrTimeout (signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  return signal ?? AbortSignal.timeout(timeoutMs)
}

/**
 * A signal that aborts after `timeoutMs` or as soon as the stream closes (reset by the peer, aborted
 * here), whichever comes first, so work done for a request does not outlive the stream it answers.
 * Call `dispose` when the exchange is over.
 */
export function streamLifetime (stream: Stream, timeoutMs: number): { signal: AbortSignal, dispose: () => void } {
  const closed = new AbortController()
  const onClose = (): void => { closed.abort(new DOMException('stream closed', 'AbortError')) }
  if (stream.status !== 'open') onClose()
  else stream.addEventListener('close', onClose, { once: true })
  return {
    signal: AbortSignal.any([closed.signal, AbortSignal.timeout(timeoutMs)]),
    dispose: () => { stream.removeEventListener('close', onClose) }
  }
}

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

/**
 * Read one request that must pass `requestSchema`, answer it with `answer`, close; reset the stream on
 * failure. `answer` gets a signal that aborts at the timeout or when the stream closes.
 */
export async function serveRequest<Q, R> (stream: Stream, maxBytes: number, requestSchema: Schema<Q>, timeoutMs: number, answer: (request: Q, signal: AbortSignal) => Promise<R>): Promise<Served<R>> {
  const js = jsonStream(stream, maxBytes)
  const { signal, dispose } = streamLifetime(stream, timeoutMs)
  try {
    const request = await js.read(requestSchema, { signal })
    const reply = await answer(request, signal)
    await js.write(reply, { signal })
    await stream.close()
    return { ok: true, reply }
  } catch (err) {
    stream.abort(err as Error)
    return { ok: false, error: err as Error }
  } finally {
    dispose()
  }
}
