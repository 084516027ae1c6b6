/**
 * Catch-up for gossip records over `/trustmesh/sync/1.0.0` (served only after hello): adapters from
 * this node's topic intakes to the sync protocol's handler and client (protocols/sync). Every record
 * pulled goes through the same intake as gossip (validated, then persisted).
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from '../../identity/logger.js'
import { handleSync, pullRecords, type SyncSource, type SyncSummary, type SyncTopicSink } from '../../protocols/sync/index.js'
import { compareKeys } from '../store/repository.js'
import type { TopicIntake } from './record-intake.js'

export { SyncPeerError, SYNC_MAX_REQUESTS_PER_STREAM, type SyncSummary } from '../../protocols/sync/index.js'

/** The records of this node's topics, as the sync handler reads them. */
function sourceOf (intakes: ReadonlyMap<string, TopicIntake>): SyncSource {
  return {
    async ids (topic, after, limit) {
      const intake = intakes.get(topic)
      const keys: string[] = []
      if (intake == null) return keys
      for await (const k of intake.repo.keys({ ...(after != null ? { gt: after } : {}), limit })) keys.push(k)
      return keys
    },
    async records (topic, ids) {
      const intake = intakes.get(topic)
      if (intake == null) return []
      return (await intake.repo.getMany([...ids])).map(f => f?.record)
    }
  }
}

/** A topic intake as the sync client pulls into it, records attributed to `fromOrg`. */
function sinkOf (intake: TopicIntake, fromOrg: string): SyncTopicSink {
  return {
    name: intake.topic.name,
    maxBytes: intake.topic.maxBytes,
    // one session fetches at most what this peer may have stored here (its per-peer cap)
    maxRecords: Math.min(intake.topic.maxRecords, intake.topic.limits?.perPeer ?? Infinity),
    async lacking (ids) {
      if (ids.length === 0) return []
      const have = await intake.repo.getMany([...ids])
      const out: string[] = []
      for (let i = 0; i < ids.length; i++) {
        if (have[i] == null && !intake.pending(ids[i])) out.push(ids[i])
      }
      return out
    },
    async offer (record, requested) {
      const outcome = await intake.offer(record, fromOrg, requested)
      if (outcome.status === 'accepted') intake.counters.synced++
      return outcome
    }
  }
}

/** Serve one inbound sync stream: answer id pages and record fetches until `done` or a bad message. */
export async function serveSync (stream: Stream, connection: Connection, intakes: ReadonlyMap<string, TopicIntake>, logger: Logger): Promise<void> {
  await handleSync(stream, connection.remotePeer.toString(), { source: sourceOf(intakes), logger })
}

/** Pull, topic by topic, the records `connection`'s peer holds and we lack. */
export async function pullFromPeer (connection: Connection, intakes: ReadonlyMap<string, TopicIntake>, fromOrg: string, options: { signal?: AbortSignal } = {}): Promise<SyncSummary> {
  const topics = [...intakes.values()].map(intake => sinkOf(intake, fromOrg))
  return await pullRecords(connection, { topics, compareIds: compareKeys }, options)
}
