/**
 * Record gossip: the one component through which revocations, trust attestations and audit
 * checkpoints spread. Each registered topic gets a gossipsub topic validator that decides before
 * anything is delivered or forwarded: the propagation source must be a hello-verified peer, the record
 * must pass the topic's validator (else Reject, which gossipsub scores against the sender), a record
 * already stored is ignored, and a valid one is persisted with a synced write before it is accepted.
 * When a peer completes hello, each side pulls the records it lacks over `/trustmesh/sync/1.0.0`, so
 * a node that was offline catches up.
 */
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { Connection, PeerId, Startable } from '@libp2p/interface'
import { fail, ok, type Result } from '../../identity/result.js'
import type { Clock } from '../../identity/clock.js'
import type { Logger } from '../../identity/logger.js'
import type { MeshLibp2p } from '../libp2p/create-libp2p.js'
import type { Mesh } from '../mesh/mesh.js'
import type { PeerRegistry } from '../mesh/peer-registry.js'
import type { Store } from '../store/open-store.js'
import type { ListOptions } from '../store/repository.js'
import { SYNC_MAX_INBOUND_STREAMS, SYNC_MAX_OUTBOUND_STREAMS, SYNC_MAX_REPLY_RECORD_BYTES, SYNC_PROTOCOL } from '../../protocols/sync/messages.js'
import type { StoreBatch } from '../store/batch.js'
import { createTopicIntake, type IntakeCounters, type TopicIntake } from './record-intake.js'
import { installTopicScoreParams } from './peer-score.js'
import { pullFromPeer, serveSync, SyncPeerError, type SyncSummary } from './record-sync.js'
import { RecordGossipError, type RecordTopic, type RecordTopicName, type StoredRecord } from './record-topic.js'

/** Delays before each attempt to sync with a newly verified peer (its side of hello may lag ours). */
const SYNC_ATTEMPT_DELAYS_MS = [0, 250, 1_000, 3_000]

export interface RecordGossipComponents {
  libp2p: Pick<MeshLibp2p, 'services' | 'handle' | 'unhandle' | 'getConnections'>
  mesh: Pick<Mesh, 'handle' | 'onPeerVerified'>
  registry: Pick<PeerRegistry, 'orgOfPeer' | 'get'>
  store: Pick<Store, 'repository' | 'batch'>
  logger: Logger
  clock: Clock
  /** When an org key was retired by a successor record (seconds): records it signed later are refused (KEY_RETIRED). */
  retiredAt?: (did: string) => number | undefined
  /** Storage bounds applied to every topic that declares none (node/settings.ts). */
  limits?: { perPeer: number, perIssuer: number }
}

export interface PublishOutcome {
  id: string
  /** `duplicate`: this node already held the record; it is not published again. */
  status: 'published' | 'duplicate'
}

export interface StoredRecordEntry extends StoredRecord {
  id: string
}

export interface RecordGossip extends Startable {
  start: () => Promise<void>
  stop: () => Promise<void>
  /** Declare a topic; allowed before or after start. */
  register: <T>(topic: RecordTopic<T>) => void
  /** Validate locally, persist, then publish. An invalid record is a failure result, never published. */
  publish: (topicName: RecordTopicName, record: string) => Promise<Result<PublishOutcome>>
  list: (topicName: RecordTopicName, options?: ListOptions) => Promise<StoredRecordEntry[]>
  get: (topicName: RecordTopicName, id: string) => Promise<StoredRecord | undefined>
  /** Pull what a verified peer holds and we lack (runs by itself after hello; exposed for tests and tools). */
  syncWith: (connection: Connection, options?: { signal?: AbortSignal }) => Promise<SyncSummary>
  /**
   * Delete stored records (pruning) in one synced batch, together with whatever `stage` adds to it
   * (an index), and release their share of the per-peer and per-issuer caps. Returns how many existed.
   */
  prune: (topicName: RecordTopicName, ids: readonly string[], stage?: (batch: StoreBatch) => void) => Promise<number>
  /** Intake counters per topic (for `node status`). */
  stats: () => Record<string, IntakeCounters>
}

export function createRecordGossip (components: RecordGossipComponents): RecordGossip {
  return new DefaultRecordGossip(components)
}

class DefaultRecordGossip implements RecordGossip {
  readonly #c: RecordGossipComponents
  readonly #log: Logger
  readonly #intakes = new Map<string, TopicIntake>()
  readonly #syncing = new Set<string>()
  #abort = new AbortController()
  #unsubscribeVerified?: () => void
  #started = false

  constructor (components: RecordGossipComponents) {
    this.#c = components
    this.#log = components.logger
  }

  register<T>(topic: RecordTopic<T>): void {
    if (this.#intakes.has(topic.name)) throw new RecordGossipError('TOPIC_ALREADY_REGISTERED', `topic ${topic.name} is already registered`)
    if (!Number.isInteger(topic.maxBytes) || topic.maxBytes <= 0 || topic.maxBytes > SYNC_MAX_REPLY_RECORD_BYTES) {
      throw new RangeError(`topic ${topic.name}: maxBytes must be an integer from 1 to ${SYNC_MAX_REPLY_RECORD_BYTES}`)
    }
    if (!Number.isInteger(topic.maxRecords) || topic.maxRecords <= 0) throw new RangeError(`topic ${topic.name}: maxRecords must be a positive integer`)
    if (topic.limits == null && this.#c.limits != null) topic = { ...topic, limits: this.#c.limits }
    const intake = createTopicIntake(topic, { store: this.#c.store, clock: this.#c.clock, logger: this.#log, ...(this.#c.retiredAt != null ? { retiredAt: this.#c.retiredAt } : {}) })
    this.#intakes.set(topic.name, intake)
    if (this.#started) this.#join(intake)
  }

  async start (): Promise<void> {
    if (this.#started) return
    this.#started = true
    this.#abort = new AbortController()
    await this.#c.mesh.handle(SYNC_PROTOCOL, async (stream, connection) => { await serveSync(stream, connection, this.#intakes, this.#log) }, {
      maxInboundStreams: SYNC_MAX_INBOUND_STREAMS,
      maxOutboundStreams: SYNC_MAX_OUTBOUND_STREAMS
    })
    for (const intake of this.#intakes.values()) this.#join(intake)
    this.#unsubscribeVerified = this.#c.mesh.onPeerVerified((peer, connection) => { this.#scheduleSync(connection, peer.orgDid) })
    // peers whose hello completed before we started
    for (const conn of this.#c.libp2p.getConnections()) {
      const peer = this.#c.registry.get(conn.id)
      if (peer != null) this.#scheduleSync(conn, peer.orgDid)
    }
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.#abort.abort()
    this.#unsubscribeVerified?.()
    const pubsub = this.#c.libp2p.services.pubsub
    for (const name of this.#intakes.keys()) {
      pubsub.topicValidators.delete(name)
      try { pubsub.unsubscribe(name) } catch (err) { this.#log.debug('unsubscribe failed', { topic: name, error: (err as Error).message }) }
    }
    await this.#c.libp2p.unhandle(SYNC_PROTOCOL)
  }

  async publish (topicName: RecordTopicName, record: string): Promise<Result<PublishOutcome>> {
    const intake = this.#intake(topicName)
    if (!this.#started) throw new RecordGossipError('NOT_STARTED', 'record gossip is not started')
    const outcome = await intake.offer(record, undefined)
    if (outcome.status === 'invalid' || outcome.status === 'ignored') return fail(outcome.error.code, `${topicName}: ${outcome.error.message}`)
    if (outcome.status === 'duplicate') return ok({ id: outcome.id, status: 'duplicate' })
    intake.counters.published++
    try {
      await this.#c.libp2p.services.pubsub.publish(topicName, new TextEncoder().encode(record))
    } catch (err) {
      // stored already: peers that miss it now get it through sync when they next connect
      this.#log.warn('publish failed; the record is stored and will reach peers through sync', { topic: topicName, id: outcome.id, error: (err as Error).message })
    }
    return ok({ id: outcome.id, status: 'published' })
  }

  async list (topicName: RecordTopicName, options: ListOptions = {}): Promise<StoredRecordEntry[]> {
    const entries = await this.#intake(topicName).repo.list(options)
    return entries.map(([id, v]) => ({ id, ...v }))
  }

  async get (topicName: RecordTopicName, id: string): Promise<StoredRecord | undefined> {
    return await this.#intake(topicName).repo.get(id)
  }

  async syncWith (connection: Connection, options: { signal?: AbortSignal } = {}): Promise<SyncSummary> {
    const peer = this.#c.registry.get(connection.id)
    if (peer == null) throw new RecordGossipError('NOT_STARTED', 'sync needs a hello-verified connection')
    return await pullFromPeer(connection, this.#intakes, peer.orgDid, options)
  }

  async prune (topicName: RecordTopicName, ids: readonly string[], stage?: (batch: StoreBatch) => void): Promise<number> {
    const intake = this.#intake(topicName)
    if (ids.length === 0) return 0
    const found = await intake.repo.getMany([...ids])
    const batch = this.#c.store.batch()
    const gone: StoredRecord[] = []
    for (let i = 0; i < ids.length; i++) {
      const stored = found[i]
      if (stored == null) continue
      batch.del(intake.topic.sublevel, ids[i])
      gone.push(stored)
    }
    stage?.(batch)
    await batch.write()
    for (const stored of gone) intake.released(stored)
    return gone.length
  }

  stats (): Record<string, IntakeCounters> {
    const out: Record<string, IntakeCounters> = {}
    for (const [name, i] of this.#intakes) out[name] = { ...i.counters }
    return out
  }

  #intake (topicName: string): TopicIntake {
    const intake = this.#intakes.get(topicName)
    if (intake == null) throw new RecordGossipError('UNKNOWN_TOPIC', `topic ${topicName} is not registered`)
    return intake
  }

  #join (intake: TopicIntake): void {
    const pubsub = this.#c.libp2p.services.pubsub
    const name = intake.topic.name
    if (!installTopicScoreParams(pubsub, name)) this.#log.warn('gossipsub score params not installable: invalid records will not lower peer scores', { topic: name })
    pubsub.topicValidators.set(name, async (source, msg) => await this.#validate(intake, source, msg))
    pubsub.subscribe(name)
  }

  async #validate (intake: TopicIntake, source: PeerId, msg: Message): Promise<TopicValidatorResult> {
    if (!this.#started) return TopicValidatorResult.Ignore
    const topic = intake.topic.name
    const peer = source.toString()
    const org = this.#c.registry.orgOfPeer(peer)
    if (org == null) {
      intake.counters.invalid++
      this.#log.warn('gossip record rejected: sender has not completed hello', { topic, peer })
      return TopicValidatorResult.Reject
    }
    if (msg.data.length > intake.topic.maxBytes) {
      intake.counters.invalid++
      this.#log.warn('gossip record rejected', { topic, peer, org, code: 'RECORD_TOO_LARGE' })
      return TopicValidatorResult.Reject
    }
    let record: string
    try {
      record = new TextDecoder('utf-8', { fatal: true }).decode(msg.data)
    } catch {
      intake.counters.invalid++
      this.#log.warn('gossip record rejected', { topic, peer, org, code: 'MALFORMED_RECORD' })
      return TopicValidatorResult.Reject
    }
    try {
      const outcome = await intake.offer(record, org)
      if (outcome.status === 'accepted') return TopicValidatorResult.Accept
      if (outcome.status === 'duplicate') return TopicValidatorResult.Ignore
      if (outcome.status === 'ignored') {
        this.#log.debug('gossip record ignored', { topic, peer, org, code: outcome.error.code })
        return TopicValidatorResult.Ignore
      }
      this.#log.warn('gossip record rejected', { topic, peer, org, code: outcome.error.code, reason: outcome.error.message })
      return TopicValidatorResult.Reject
    } catch (err) {
      // our own failure (store): the peer did nothing wrong, so ignore rather than reject; sync retries later
      this.#log.error('gossip record not stored', { topic, peer, error: (err as Error).message })
      return TopicValidatorResult.Ignore
    }
  }

  #scheduleSync (connection: Connection, orgDid: string): void {
    if (!this.#started || this.#intakes.size === 0 || this.#syncing.has(connection.id)) return
    this.#syncing.add(connection.id)
    const signal = this.#abort.signal
    const run = async (): Promise<void> => {
      for (let attempt = 0; attempt < SYNC_ATTEMPT_DELAYS_MS.length; attempt++) {
        if (SYNC_ATTEMPT_DELAYS_MS[attempt] > 0) await delay(SYNC_ATTEMPT_DELAYS_MS[attempt], signal)
        if (signal.aborted || connection.status !== 'open' || this.#c.registry.get(connection.id) == null) return
        try {
          const summary = await pullFromPeer(connection, this.#intakes, orgDid, { signal })
          this.#log.info('synced records from peer', { peer: connection.remotePeer.toString(), org: orgDid, pulled: summary.pulled })
          return
        } catch (err) {
          if (err instanceof SyncPeerError) {
            this.#log.warn('sync peer misbehaved; stream reset', { peer: connection.remotePeer.toString(), org: orgDid, code: err.code, error: err.message })
            return
          }
          const last = attempt === SYNC_ATTEMPT_DELAYS_MS.length - 1
          const fields = { peer: connection.remotePeer.toString(), attempt, error: (err as Error).message }
          if (last) this.#log.warn('sync with peer failed', fields)
          else this.#log.debug('sync attempt failed; retrying', fields)
        }
      }
    }
    run().catch(err => { this.#log.warn('sync failed', { error: (err as Error).message }) })
      .finally(() => { this.#syncing.delete(connection.id) })
  }
}

async function delay (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>(resolve => {
    const t = setTimeout(done, ms)
    function done (): void { clearTimeout(t); signal.removeEventListener('abort', done); resolve() }
    signal.addEventListener('abort', done, { once: true })
  })
}
