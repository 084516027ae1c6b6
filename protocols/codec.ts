/**
 * Length-prefixed JSON messages over a libp2p stream. Every protocol reads through here: the varint
 * length is capped (`maxBytes`) before any allocation, nesting depth is capped before parsing, and
 * the decoded value goes through the protocol's schema before anyone uses it. A bad message is a
 * ProtocolError with a stable code; the caller resets the stream and counts it against the peer.
 */
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Stream, AbortOptions } from '@libp2p/interface'
import { jsonDepth, MAX_JSON_DEPTH } from '../identity/jwt.js'
import type { Result } from '../identity/result.js'

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

export type Schema<T> = (value: unknown) => Result<T>

export interface JsonStream {
  read: <T>(schema: Schema<T>, options?: AbortOptions) => Promise<T>
  write: (value: unknown, options?: AbortOptions) => Promise<void>
  readonly lp: LengthPrefixedStream<Stream>
}

/**
 * Varint length decoder that refuses a prefix longer than `maxBytes` needs. The default decoder
 * throws RangeError on more than 8 continuation bytes, which lpStream takes as "incomplete" and keeps
 * reading one byte at a time: an endless varint was bounded only by the read timeout.
 */
function boundedLengthDecoder (maxBytes: number): (data: { byteLength: number, get: (index: number) => number }) => number {
  let maxLengthLength = 1
  for (let n = maxBytes; n >= 0x80; n = Math.floor(n / 0x80)) maxLengthLength++
  return (data) => {
    let value = 0
    for (let i = 0; i < data.byteLength; i++) {
      if (i >= maxLengthLength) throw new ProtocolError('MESSAGE_TOO_LARGE', `message length prefix is longer than the ${maxLengthLength} bytes the ${maxBytes}-byte limit needs`)
      const b = data.get(i)
      value += (b & 0x7f) * 2 ** (7 * i)
      if (b < 0x80) return value
    }
    throw new RangeError('incomplete varint')
  }
}

export function jsonStream (stream: Stream, maxBytes: number): JsonStream {
  const lp = lpStream(stream, { maxDataLength: maxBytes, lengthDecoder: boundedLengthDecoder(maxBytes) })
  return {
    lp,
    async read<T>(schema: Schema<T>, options?: AbortOptions): Promise<T> {
      let bytes: Uint8Array
      try {
        bytes = (await lp.read(options)).subarray()
      } catch (err) {
        if (err instanceof ProtocolError) throw err
        const e = err as Error & { code?: string }
        if (e.name === 'InvalidDataLengthError' || e.name === 'InvalidDataLengthLengthError' || e.name === 'InvalidMessageLengthError') {
          throw new ProtocolError('MESSAGE_TOO_LARGE', `message exceeds the ${maxBytes}-byte limit of this protocol`)
        }
        if (e.name === 'UnexpectedEOFError') throw new ProtocolError('UNEXPECTED_EOF', 'stream closed before a whole message arrived')
        if (e.name === 'AbortError' || e.name === 'TimeoutError') throw new ProtocolError('TIMEOUT', 'peer did not send a message in time')
        throw new ProtocolError('STREAM_ERROR', `stream failed: ${e.name}: ${e.message}`)
      }
      return decodeJsonMessage(bytes, schema)
    },
    async write (value: unknown, options?: AbortOptions): Promise<void> {
      const bytes = new TextEncoder().encode(JSON.stringify(value))
      if (bytes.length > maxBytes) throw new ProtocolError('MESSAGE_TOO_LARGE', `outgoing message of ${bytes.length} bytes exceeds the ${maxBytes}-byte limit`)
      await lp.write(bytes, options)
    }
  }
}

/** Decode one JSON message body and validate it; throws ProtocolError. Exposed for fuzzing. */
export function decodeJsonMessage<T> (bytes: Uint8Array, schema: Schema<T>): T {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new ProtocolError('MALFORMED_MESSAGE', 'message is not valid UTF-8')
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new ProtocolError('MALFORMED_MESSAGE', `message JSON is nested deeper than ${MAX_JSON_DEPTH}`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ProtocolError('MALFORMED_MESSAGE', 'message is not valid JSON')
  }
  const r = schema(value)
  if (!r.ok) throw new ProtocolError(r.error.code, r.error.message)
  return r.value
}
