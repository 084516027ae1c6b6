/**
 * The single path by which a record enters a node, whether it arrives by gossip, by sync, or is
 * published here: size bound, the topic's validator, duplicate check, a synced write, then `onAccept`
 * once. Gossip and sync therefore accept exactly the same records. Concurrent offers of the same id
 * (the same record reaching us over two paths at once) are collapsed so `onAccept` runs once.
 * Storage is bounded per sending org and per issuer (`RecordTopic.limits`): counts are loaded from
 * the stored records at the first offer and kept in memory; a record over a cap is ignored.
 */
import { fail } from '../../identity/result.js'
import { checkJwtNotRetired, checkNotRetired } from '../../identity/successor-record.js'
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
  /** Valid records not kept: over a per-peer or per-issuer cap, signed by a retired key, or ignorable for the topic. */
  ignored: number
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
  /** A stored record was deleted (pruned): release its share of the caps. */
  released: (stored: StoredRecord) => void
}

const encoder = new TextEncoder()
/** With the `u` flag a surrogate range matches only lone surrogates (pairs are one code point). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u
const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s)

export interface TopicIntakeDeps {
  store: Pick<Store, 'repository' | 'batch'>
  clock: Clock
  logger: Logger
  /** When an org key was retired by a successor record (seconds); its later records are KEY_RETIRED. */
  retiredAt?: (did: string) => number | undefined
}

/** KEY_RETIRED: the record's signing key was retired before it signed (RecordTopic.signedBy). */
function retiredSigner<T> (topic: RecordTopic<T>, value: T, record: string, retiredAt: ((did: string) => number | undefined) | undefined): ReturnType<typeof fail> | undefined {
  if (retiredAt == null) return undefined
  const what = `record of ${topic.name}`
  let r
  if (topic.signedBy != null) {
    const by = topic.signedBy(value, record)
    if (by == null) return undefined
    r = checkNotRetired(by.issuer, by.signedAt, retiredAt, what)
  } else {
    r = checkJwtNotRetired(record, retiredAt, what)
  }
  return r.ok ? undefined : r
}

export function createTopicIntake<T> (topic: RecordTopic<T>, deps: TopicIntakeDeps): TopicIntake {
  const repo = deps.store.repository<StoredRecord>(topic.sublevel)
  const inflight = new Set<string>()
  const perPeer = new Map<string, number>()
  const perIssuer = new Map<string, number>()
  const bump = (m: Map<string, number>, k: string | undefined, by: number): void => {
    if (k == null) return
    const n = (m.get(k) ?? 0) + by
    if (n > 0) m.set(k, n)
    else m.delete(k)
  }
  let counted: Promise<void> | undefined
  const countStored = async (): Promise<void> => {
    for await (const v of repo.values()) { bump(perPeer, v.fromOrg, 1); bump(perIssuer, v.issuer, 1) }
  }
  const counters: IntakeCounters = { accepted: 0, duplicate: 0, invalid: 0, ignored: 0, synced: 0, published: 0 }
  const ignore = (error: { code: string, message: string }): IntakeOutcome => {
    counters.ignored++
    return { status: 'ignored', error } as IntakeOutcome
  }
  const invalid = (code: string, message: string): IntakeOutcome => {
    counters.invalid++
    return { status: 'invalid', error: fail(code, message).error }
  }

  return {
    topic: topic as RecordTopic<unknown>,
    repo,
    counters,
    pending: (id: string): boolean => inflight.has(id),
    released: (stored: StoredRecord): void => { bump(perPeer, stored.fromOrg, -1); bump(perIssuer, stored.issuer, -1) },
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
        if (topic.ignorable?.includes(v.error.code) === true) return ignore(v.error)
        counters.invalid++
        return { status: 'invalid', error: v.error }
      }
      const { id, value } = v.value
      const retired = retiredSigner(topic, value, record, deps.retiredAt)
      if (retired != null) return ignore(retired.error)
      if (typeof id !== 'string' || id.length === 0 || id.length > SYNC_MAX_ID_CHARS || !wellFormed(id)) {
        return invalid('BAD_RECORD_ID', `validator of ${topic.name} returned an unusable record id`)
      }
      if (expected != null && !expected(id)) return invalid('UNREQUESTED_RECORD', `record ${id} of ${topic.name} was not requested`)
      if (inflight.has(id) || await repo.has(id) || inflight.has(id)) {
        counters.duplicate++
        return { status: 'duplicate', id }
      }
      const issuer = topic.issuerOf?.(value)
      if (topic.limits != null && fromOrg != null) {
        counted ??= countStored()
        await counted
        // check and reserve with no await in between: two offers at once cannot both pass the cap
        // (any await here would let another offer check the same count before this one is counted)
        if (inflight.has(id)) {
          counters.duplicate++
          return { status: 'duplicate', id }
        }
        if ((perPeer.get(fromOrg) ?? 0) >= topic.limits.perPeer) {
          return ignore(fail('PEER_QUOTA_EXCEEDED', `${fromOrg} already has ${topic.limits.perPeer} records of ${topic.name} stored here`).error)
        }
        if (issuer != null && (perIssuer.get(issuer) ?? 0) >= topic.limits.perIssuer) {
          return ignore(fail('ISSUER_QUOTA_EXCEEDED', `${issuer} already has ${topic.limits.perIssuer} records of ${topic.name} stored here`).error)
        }
      }
      // reserve: counted now, released below unless the record is stored
      bump(perPeer, fromOrg, 1); bump(perIssuer, issuer, 1)
      let stored = false
      inflight.add(id)
      try {
        // an offer of the same id may have been stored while we awaited `has` above
        if (await repo.has(id)) {
          counters.duplicate++
          return { status: 'duplicate', id }
        }
        const entry: StoredRecord = { record, receivedAt: now, ...(fromOrg != null ? { fromOrg } : {}), ...(issuer != null ? { issuer } : {}) }
        const batch = deps.store.batch().put(topic.sublevel, id, entry)
        topic.stage?.(value, id, batch)
        await batch.write()
        stored = true
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
        if (!stored) { bump(perPeer, fromOrg, -1); bump(perIssuer, issuer, -1) }
      }
    }
  }
}
