/**
 * Catch-up for gossip records over `/trustmesh/sync/1.0.0` (served only after hello). The puller
 * pages through the other side's record ids per topic and fetches the ones it lacks; every record
 * goes through the same intake as gossip (validated, then persisted). A peer that sends an invalid,
 * unrequested or out-of-order answer is logged and its stream reset; a malformed or oversized message
 * resets the stream on either side and harms nothing else.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from '../../identity/logger.js'
import { jsonStream, ProtocolError, type JsonStream } from '../../protocols/codec.js'
import {
  SYNC_MAX_GET_IDS, SYNC_MAX_MESSAGE_BYTES, SYNC_MAX_PAGES, SYNC_MAX_REPLY_RECORD_BYTES, SYNC_PAGE_IDS, SYNC_PROTOCOL,
  SYNC_READ_TIMEOUT_MS, syncReplySchema, syncRequestSchema, type SyncReply, type SyncRequest
} from '../../protocols/sync/messages.js'
import { compareKeys } from '../store/repository.js'
import type { TopicIntake } from './record-intake.js'

/** Requests one inbound sync stream may carry (every page and fetch of every topic, with room to spare). */
export const SYNC_MAX_REQUESTS_PER_STREAM = 4_096

/** The peer answered a sync request with something a correct peer never sends. */
export class SyncPeerError extends Error {
  override readonly name = 'SyncPeerError'
  constructor (readonly code: 'INVALID_RECORD' | 'UNREQUESTED_RECORD' | 'BAD_ID_PAGE', message: string) {
    super(message)
  }
}

export interface SyncSummary {
  /** Records newly accepted per topic. */
  pulled: Record<string, number>
}

const encoder = new TextEncoder()

function readSignal (outer?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(SYNC_READ_TIMEOUT_MS)
  return outer != null ? AbortSignal.any([outer, t]) : t
}

/** Serve one inbound sync stream: answer id pages and record fetches until `done` or a bad message. */
export async function serveSync (stream: Stream, connection: Connection, intakes: ReadonlyMap<string, TopicIntake>, logger: Logger): Promise<void> {
  const js = jsonStream(stream, SYNC_MAX_MESSAGE_BYTES)
  const peer = connection.remotePeer.toString()
  try {
    for (let n = 0; n < SYNC_MAX_REQUESTS_PER_STREAM; n++) {
      const req: SyncRequest = await js.read(syncRequestSchema, { signal: readSignal() })
      if (req.op === 'done') {
        await stream.close()
        return
      }
      const intake = intakes.get(req.topic)
      if (req.op === 'ids') {
        const keys: string[] = []
        if (intake != null) {
          for await (const k of intake.repo.keys({ ...(req.after != null ? { gt: req.after } : {}), limit: SYNC_PAGE_IDS + 1 })) keys.push(k)
        }
        await js.write({ v: 1, op: 'ids', ids: keys.slice(0, SYNC_PAGE_IDS), more: keys.length > SYNC_PAGE_IDS } satisfies SyncReply)
        continue
      }
      const records: string[] = []
      if (intake != null) {
        let bytes = 0
        const found = await intake.repo.getMany(req.ids)
        for (const f of found) {
          if (f == null) continue
          const size = encoder.encode(JSON.stringify(f.record)).length
          if (bytes + size > SYNC_MAX_REPLY_RECORD_BYTES) break
          bytes += size
          records.push(f.record)
        }
      }
      await js.write({ v: 1, op: 'records', records } satisfies SyncReply)
    }
    throw new ProtocolError('TOO_MANY_REQUESTS', `more than ${SYNC_MAX_REQUESTS_PER_STREAM} requests on one sync stream`)
  } catch (err) {
    const code = err instanceof ProtocolError ? err.code : 'STREAM_ERROR'
    logger.warn('sync stream reset', { peer, code, error: (err as Error).message })
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}

/** Pull, topic by topic, the records `connection`'s peer holds and we lack. */
export async function pullFromPeer (connection: Connection, intakes: ReadonlyMap<string, TopicIntake>, fromOrg: string, options: { signal?: AbortSignal } = {}): Promise<SyncSummary> {
  const stream = await connection.newStream(SYNC_PROTOCOL, { signal: readSignal(options.signal) })
  const js = jsonStream(stream, SYNC_MAX_MESSAGE_BYTES)
  const summary: SyncSummary = { pulled: {} }
  try {
    for (const intake of intakes.values()) {
      summary.pulled[intake.topic.name] = await pullTopic(js, intake, fromOrg, options.signal)
    }
    await js.write({ v: 1, op: 'done' } satisfies SyncRequest, { signal: readSignal(options.signal) })
    await stream.close({ signal: readSignal(options.signal) })
    return summary
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

async function pullTopic (js: JsonStream, intake: TopicIntake, fromOrg: string, signal?: AbortSignal): Promise<number> {
  const topic = intake.topic
  const idsSchema = syncReplySchema('ids', topic.maxBytes)
  const recordsSchema = syncReplySchema('records', topic.maxBytes)
  let pulled = 0
  let after: string | undefined
  for (let page = 0; page < SYNC_MAX_PAGES && pulled < topic.maxRecords; page++) {
    await js.write({ v: 1, op: 'ids', topic: topic.name, ...(after != null ? { after } : {}) } satisfies SyncRequest, { signal: readSignal(signal) })
    const reply = await js.read(idsSchema, { signal: readSignal(signal) }) as Extract<SyncReply, { op: 'ids' }>
    let prev = after
    for (const id of reply.ids) {
      // ids come in store order (code point order), strictly ascending and after the cursor
      if (prev != null && compareKeys(id, prev) <= 0) throw new SyncPeerError('BAD_ID_PAGE', `sync ids of ${topic.name} are not strictly ascending`)
      prev = id
    }
    const lacking = await missing(intake, reply.ids)
    while (lacking.length > 0 && pulled < topic.maxRecords) {
      const chunk = lacking.splice(0, Math.min(SYNC_MAX_GET_IDS, topic.maxRecords - pulled))
      await js.write({ v: 1, op: 'get', topic: topic.name, ids: chunk } satisfies SyncRequest, { signal: readSignal(signal) })
      const got = await js.read(recordsSchema, { signal: readSignal(signal) }) as Extract<SyncReply, { op: 'records' }>
      const requested = new Set(chunk)
      let progress = 0
      for (const record of got.records) {
        const outcome = await intake.offer(record, fromOrg, id => requested.has(id))
        if (outcome.status === 'ignored') continue
        progress++
        if (outcome.status === 'invalid') {
          const code = outcome.error.code === 'UNREQUESTED_RECORD' ? 'UNREQUESTED_RECORD' : 'INVALID_RECORD'
          throw new SyncPeerError(code, `peer sent an unacceptable ${topic.name} record (${outcome.error.code}: ${outcome.error.message})`)
        }
        requested.delete(outcome.id)
        if (outcome.status === 'accepted') {
          pulled++
          intake.counters.synced++
        }
      }
      // a reply cut short by its byte bound: ask again for the rest, as long as it makes progress
      // (records this node ignores stay "lacking" for good: stop once a reply brings nothing usable)
      if (progress > 0 && requested.size > 0) lacking.unshift(...chunk.filter(id => requested.has(id)))
    }
    if (!reply.more || reply.ids.length === 0) break
    after = reply.ids[reply.ids.length - 1]
  }
  return pulled
}

async function missing (intake: TopicIntake, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const have = await intake.repo.getMany(ids)
  const out: string[] = []
  for (let i = 0; i < ids.length; i++) {
    if (have[i] == null && !intake.pending(ids[i])) out.push(ids[i])
  }
  return out
}
