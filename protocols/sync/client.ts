/**
 * The pulling end of `/trustmesh/sync/1.0.0`: topic by topic, page through the peer's record ids and
 * fetch the ones this node lacks, offering each record to the topic's sink (which validates it
 * exactly like a gossip message). A peer that answers with an invalid, unrequested or out-of-order
 * record id is a SyncPeerError and the stream is reset.
 */
import { jsonStream, type JsonStream } from '../codec.js'
import { streamFor, type StreamTarget } from '../request-response.js'
import {
  SYNC_MAX_GET_IDS, SYNC_MAX_MESSAGE_BYTES, SYNC_MAX_PAGES, SYNC_PROTOCOL, SYNC_READ_TIMEOUT_MS,
  syncReplySchema, type SyncReply, type SyncRequest
} from './messages.js'

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
  /** Records received per topic, whatever became of them (at most the topic's `maxRecords`). */
  fetched: Record<string, number>
}

export type SyncOffer =
  | { status: 'accepted' | 'duplicate', id: string }
  | { status: 'ignored' }
  | { status: 'invalid', error: { code: string, message: string } }

/** One topic this node pulls into. */
export interface SyncTopicSink {
  readonly name: string
  /** Longest record accepted (bounds each record string of a reply). */
  readonly maxBytes: number
  /** Records one session fetches at most, counting those it ignores (bounds the work a flood can cause). */
  readonly maxRecords: number
  /** Of `ids`, those this node neither holds nor is storing right now, in order. */
  lacking: (ids: readonly string[]) => Promise<string[]>
  /** Validate and store one record; `requested` must approve its id (or the record is invalid). */
  offer: (record: string, requested: (id: string) => boolean) => Promise<SyncOffer>
}

export interface SyncClientComponents {
  topics: Iterable<SyncTopicSink>
  /** The order the serving store lists ids in (code point order); pages must be strictly ascending in it. */
  compareIds: (a: string, b: string) => number
}

function readSignal (outer?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(SYNC_READ_TIMEOUT_MS)
  return outer != null ? AbortSignal.any([outer, t]) : t
}

/** Pull every topic from the peer behind `target`; each message waits at most SYNC_READ_TIMEOUT_MS. */
export async function pullRecords (target: StreamTarget, components: SyncClientComponents, options: { signal?: AbortSignal } = {}): Promise<SyncSummary> {
  const stream = await streamFor(target, SYNC_PROTOCOL, readSignal(options.signal))
  const js = jsonStream(stream, SYNC_MAX_MESSAGE_BYTES)
  const summary: SyncSummary = { pulled: {}, fetched: {} }
  try {
    for (const topic of components.topics) {
      const counts = await pullTopic(js, topic, components.compareIds, options.signal)
      summary.pulled[topic.name] = counts.pulled
      summary.fetched[topic.name] = counts.fetched
    }
    await js.write({ v: 1, op: 'done' } satisfies SyncRequest, { signal: readSignal(options.signal) })
    await stream.close({ signal: readSignal(options.signal) })
    return summary
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

async function pullTopic (js: JsonStream, topic: SyncTopicSink, compareIds: (a: string, b: string) => number, signal?: AbortSignal): Promise<{ pulled: number, fetched: number }> {
  const idsSchema = syncReplySchema('ids', topic.maxBytes)
  const recordsSchema = syncReplySchema('records', topic.maxBytes)
  let pulled = 0
  // every record received counts toward the bound, ignored ones too: a peer serving records this node
  // ignores (or that are over its quota) cannot make one session fetch more than `maxRecords`
  let fetched = 0
  let after: string | undefined
  for (let page = 0; page < SYNC_MAX_PAGES && fetched < topic.maxRecords; page++) {
    await js.write({ v: 1, op: 'ids', topic: topic.name, ...(after != null ? { after } : {}) } satisfies SyncRequest, { signal: readSignal(signal) })
    const reply = await js.read(idsSchema, { signal: readSignal(signal) }) as Extract<SyncReply, { op: 'ids' }>
    let prev = after
    for (const id of reply.ids) {
      // ids come in store order (code point order), strictly ascending and after the cursor
      if (prev != null && compareIds(id, prev) <= 0) throw new SyncPeerError('BAD_ID_PAGE', `sync ids of ${topic.name} are not strictly ascending`)
      prev = id
    }
    const lacking = reply.ids.length === 0 ? [] : await topic.lacking(reply.ids)
    while (lacking.length > 0 && fetched < topic.maxRecords) {
      const chunk = lacking.splice(0, Math.min(SYNC_MAX_GET_IDS, topic.maxRecords - fetched))
      await js.write({ v: 1, op: 'get', topic: topic.name, ids: chunk } satisfies SyncRequest, { signal: readSignal(signal) })
      const got = await js.read(recordsSchema, { signal: readSignal(signal) }) as Extract<SyncReply, { op: 'records' }>
      const requested = new Set(chunk)
      let progress = 0
      for (const record of got.records) {
        fetched++
        const outcome = await topic.offer(record, id => requested.has(id))
        if (outcome.status === 'ignored') continue
        progress++
        if (outcome.status === 'invalid') {
          const code = outcome.error.code === 'UNREQUESTED_RECORD' ? 'UNREQUESTED_RECORD' : 'INVALID_RECORD'
          throw new SyncPeerError(code, `peer sent an unacceptable ${topic.name} record (${outcome.error.code}: ${outcome.error.message})`)
        }
        requested.delete(outcome.id)
        if (outcome.status === 'accepted') pulled++
      }
      // a reply cut short by its byte bound: ask again for the rest, as long as it makes progress
      // (records this node ignores stay "lacking" for good: stop once a reply brings nothing usable)
      if (progress > 0 && requested.size > 0) lacking.unshift(...chunk.filter(id => requested.has(id)))
    }
    if (!reply.more || reply.ids.length === 0) break
    after = reply.ids[reply.ids.length - 1]
  }
  return { pulled, fetched }
}
