/**
 * The serving end of `/trustmesh/sync/1.0.0`: answer id pages and record fetches on one stream until
 * `done`, a bad message, the request cap, a read timeout or the stream closing. A malformed or
 * oversized message resets the stream and harms nothing else.
 */
import type { Stream } from '@libp2p/interface'
import type { Logger } from '../../identity/logger.js'
import { jsonStream, ProtocolError } from '../codec.js'
import { streamLifetime } from '../request-response.js'
import {
  SYNC_MAX_MESSAGE_BYTES, SYNC_MAX_REPLY_RECORD_BYTES, SYNC_MAX_REQUESTS_PER_STREAM, SYNC_PAGE_IDS, SYNC_READ_TIMEOUT_MS,
  syncRequestSchema, type SyncReply, type SyncRequest
} from './messages.js'

/** The records a node offers for catch-up. An unknown topic has no ids and no records. */
export interface SyncSource {
  /** Up to `limit` record ids of `topic` in store (code point) order, strictly after `after` when given. */
  ids: (topic: string, after: string | undefined, limit: number) => Promise<string[]>
  /** The records stored under `ids`, in order, undefined where there is none. */
  records: (topic: string, ids: readonly string[]) => Promise<Array<string | undefined>>
}

export interface SyncHandlerComponents {
  source: SyncSource
  logger: Pick<Logger, 'warn'>
}

const encoder = new TextEncoder()

/** Serve one inbound sync stream; `remotePeer` is for the log only. */
export async function handleSync (stream: Stream, remotePeer: string, components: SyncHandlerComponents, options: { readTimeoutMs?: number } = {}): Promise<void> {
  const js = jsonStream(stream, SYNC_MAX_MESSAGE_BYTES)
  const timeoutMs = options.readTimeoutMs ?? SYNC_READ_TIMEOUT_MS
  const { source, logger } = components
  let lifetime: ReturnType<typeof streamLifetime> | undefined
  try {
    for (let n = 0; n < SYNC_MAX_REQUESTS_PER_STREAM; n++) {
      // a fresh read timeout per request, and none of it outlives the stream
      lifetime?.dispose()
      lifetime = streamLifetime(stream, timeoutMs)
      const req: SyncRequest = await js.read(syncRequestSchema, { signal: lifetime.signal })
      if (req.op === 'done') {
        await stream.close()
        return
      }
      if (req.op === 'ids') {
        const keys = await source.ids(req.topic, req.after, SYNC_PAGE_IDS + 1)
        await js.write({ v: 1, op: 'ids', ids: keys.slice(0, SYNC_PAGE_IDS), more: keys.length > SYNC_PAGE_IDS } satisfies SyncReply)
        continue
      }
      const records: string[] = []
      let bytes = 0
      for (const record of await source.records(req.topic, req.ids)) {
        if (record == null) continue
        const size = encoder.encode(JSON.stringify(record)).length
        if (bytes + size > SYNC_MAX_REPLY_RECORD_BYTES) break
        bytes += size
        records.push(record)
      }
      await js.write({ v: 1, op: 'records', records } satisfies SyncReply)
    }
    throw new ProtocolError('TOO_MANY_REQUESTS', `more than ${SYNC_MAX_REQUESTS_PER_STREAM} requests on one sync stream`)
  } catch (err) {
    const code = err instanceof ProtocolError ? err.code : 'STREAM_ERROR'
    logger.warn('sync stream reset', { peer: remotePeer, code, error: (err as Error).message })
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  } finally {
    lifetime?.dispose()
  }
}
