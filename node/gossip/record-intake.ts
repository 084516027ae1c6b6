/**
 * The single path by which a record enters a node, whether it arrives by gossip, by sync, or is
 * published here: size bound, the topic's validator, duplicate check, a synced write, then `onAccept`
 * once. Gossip and sync therefore accept exactly the same records. Concurrent offers of the same id
 * (the same record reaching us over two paths at once) are collapsed so `onAccept` runs once.
 */
import { fail } from '../../identity/result.js'
import type { Clock } from '../../identity/clock.js'
import type { Logger } from '../../identity/logger.js'
import type { Store } from '../store/open-store.js'
import type { Repository } from '../store/repository.js'
import { SYNC_MAX_ID_CHARS } from '../../protocols/sync/messages.js'
import type { IntakeOutcome, RecordTopic, StoredRecord } from './record-topic.js'

export interface IntakeCounters {
  accepted: number
  duplicate: number
  invalid: number
  /** Of `accepted`, how many came through sync. */
  synced: number
  /** Of `accepted`, how many this node published itself (the rest came in from peers). */
  published: number
}

export interface TopicIntake {
  readonly topic: RecordTopic<unknown>
  readonly repo: Repository<StoredRecord>
  readonly counters: IntakeCounters
  /**
   * Offer one record. `expected`, when given, must approve the validated id before anything is stored
   * (sync uses it to refuse records it did not ask for); a refused id is invalid (`UNREQUESTED_RECORD`).
   */
  offer: (record: string, fromOrg: string | undefined, expected?: (id: string) => boolean) => Promise<IntakeOutcome>
  /** True while a record with this id is being stored. */
  pending: (id: string) => boolean
}

const encoder = new TextEncoder()
/** With the `u` flag a surrogate range matches only lone surrogates (pairs are one code point). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u
const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s)

export function createTopicIntake<T> (topic: RecordTopic<T>, deps: { store: Pick<Store, 'repository' | 'batch'>, clock: Clock, logger: Logger }): TopicIntake {
  const repo = deps.store.repository<StoredRecord>(topic.sublevel)
  const inflight = new Set<string>()
  const counters: IntakeCounters = { accepted: 0, duplicate: 0, invalid: 0, synced: 0, published: 0 }
  const invalid = (code: string, message: string): IntakeOutcome => {
    counters.invalid++
    return { status: 'invalid', error: fail(code, message).error }
  }

  return {
    topic: topic as RecordTopic<unknown>,
    repo,
    counters,
    pending: (id: string): boolean => inflight.has(id),
    async offer (record: string, fromOrg: string | undefined, expected?: (id: string) => boolean): Promise<IntakeOutcome> {
      // UTF-8 bytes >= UTF-16 units, so an over-long string is refused before it is encoded
      if (record.length > topic.maxBytes || encoder.encode(record).length > topic.maxBytes) {
        return invalid('RECORD_TOO_LARGE', `record exceeds the ${topic.maxBytes}-byte limit of ${topic.name}`)
      }
      if (!wellFormed(record)) return invalid('MALFORMED_RECORD', 'record is not well-formed Unicode')
      const now = deps.clock.now()
      let v: ReturnType<RecordTopic<T>['validate']>
      try {
        v = topic.validate(record, fromOrg != null ? { fromOrg, now } : { now })
      } catch (err) {
        // a validator that throws is a bug; the record is refused, never accepted
        deps.logger.error('record validator threw', { topic: topic.name, error: (err as Error).message })
        return invalid('VALIDATOR_FAILED', `validator of ${topic.name} failed`)
      }
      if (!v.ok) {
        if (topic.ignorable?.includes(v.error.code) === true) return { status: 'ignored', error: v.error }
        counters.invalid++
        return { status: 'invalid', error: v.error }
      }
      const { id, value } = v.value
      if (typeof id !== 'string' || id.length === 0 || id.length > SYNC_MAX_ID_CHARS || !wellFormed(id)) {
        return invalid('BAD_RECORD_ID', `validator of ${topic.name} returned an unusable record id`)
      }
      if (expected != null && !expected(id)) return invalid('UNREQUESTED_RECORD', `record ${id} of ${topic.name} was not requested`)
      if (inflight.has(id) || await repo.has(id) || inflight.has(id)) {
        counters.duplicate++
        return { status: 'duplicate', id }
      }
      inflight.add(id)
      try {
        // an offer of the same id may have been stored while we awaited `has` above
        if (await repo.has(id)) {
          counters.duplicate++
          return { status: 'duplicate', id }
        }
        const stored: StoredRecord = fromOrg != null ? { record, receivedAt: now, fromOrg } : { record, receivedAt: now }
        await deps.store.batch().put(topic.sublevel, id, stored).write()
        counters.accepted++
        if (topic.onAccept != null) {
          try {
            await topic.onAccept(value, id, record)
          } catch (err) {
            deps.logger.error('onAccept failed; the record stays stored', { topic: topic.name, id, error: (err as Error).message })
          }
        }
        return { status: 'accepted', id }
      } finally {
        inflight.delete(id)
      }
    }
  }
}
