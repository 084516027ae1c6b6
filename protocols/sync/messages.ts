/**
 * Record catch-up (`/trustmesh/sync/1.0.0`) wire messages and limits. After hello, each side pulls the
 * gossip records it lacks from the other, topic by topic, over one stream: it pages through the
 * other's record ids (`ids`, sorted, bounded) and asks for the ones it does not hold (`get`, bounded in
 * count; the reply is bounded in bytes). Every record received is validated exactly like a gossip
 * message before it is stored.
 */
import { fail, ok, type Result } from '../../identity/result.js'
import { arrayOf, bool, literal, object, str, type Check } from '../schema.js'

export const SYNC_PROTOCOL = '/trustmesh/sync/1.0.0'
/** Largest framed sync message either side accepts. */
export const SYNC_MAX_MESSAGE_BYTES = 1024 * 1024
/** Record bytes a `records` reply carries at most (the framing limit leaves room for JSON). */
export const SYNC_MAX_REPLY_RECORD_BYTES = 512 * 1024
/** Ids per `ids` page. */
export const SYNC_PAGE_IDS = 1_000
/** Ids per `get` request (and so records per reply). */
export const SYNC_MAX_GET_IDS = 100
/** Pages of ids one sync session walks per topic (bounds a session to 100,000 ids a topic). */
export const SYNC_MAX_PAGES = 100
/** Longest record id (ids are CIDs, DIDs with a suffix, hashes). */
export const SYNC_MAX_ID_CHARS = 256
export const SYNC_MAX_TOPIC_CHARS = 128
/** Per message read on either side. */
export const SYNC_READ_TIMEOUT_MS = 10_000
export const SYNC_MAX_INBOUND_STREAMS = 2
export const SYNC_MAX_OUTBOUND_STREAMS = 2
/** Requests one inbound sync stream may carry (every page and fetch of every topic, with room to spare). */
export const SYNC_MAX_REQUESTS_PER_STREAM = 4_096

export type SyncRequest =
  | { v: 1, op: 'ids', topic: string, after?: string }
  | { v: 1, op: 'get', topic: string, ids: string[] }
  | { v: 1, op: 'done' }

export type SyncReply =
  | { v: 1, op: 'ids', ids: string[], more: boolean }
  | { v: 1, op: 'records', records: string[] }

const id = str(SYNC_MAX_ID_CHARS)
const topic = str(SYNC_MAX_TOPIC_CHARS)

const requestChecks: Record<string, Check> = {
  ids: object({ v: literal(1), op: literal('ids'), topic, after: str(SYNC_MAX_ID_CHARS, { optional: true }) }),
  get: object({ v: literal(1), op: literal('get'), topic, ids: arrayOf(id, SYNC_MAX_GET_IDS) }),
  done: object({ v: literal(1), op: literal('done') })
}

function opOf (value: unknown): string | undefined {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) return undefined
  const op = (value as { op?: unknown }).op
  return typeof op === 'string' ? op : undefined
}

export function syncRequestSchema (value: unknown): Result<SyncRequest> {
  const op = opOf(value)
  const check = op != null && Object.hasOwn(requestChecks, op) ? requestChecks[op] : undefined
  if (check == null) return fail('MALFORMED_MESSAGE', 'sync request.op must be one of "ids", "get", "done"')
  const e = check(value, 'sync request')
  return e == null ? ok(value as SyncRequest) : fail('MALFORMED_MESSAGE', e)
}

/** A reply schema for the op the requester expects; records are bounded per string by `maxRecordChars`. */
export function syncReplySchema (expected: 'ids' | 'records', maxRecordChars: number): (value: unknown) => Result<SyncReply> {
  const check = expected === 'ids'
    ? object({ v: literal(1), op: literal('ids'), ids: arrayOf(id, SYNC_PAGE_IDS), more: bool() })
    : object({ v: literal(1), op: literal('records'), records: arrayOf(str(maxRecordChars), SYNC_MAX_GET_IDS) })
  return (value) => {
    const e = check(value, 'sync reply')
    return e == null ? ok(value as SyncReply) : fail('MALFORMED_MESSAGE', e)
  }
}
