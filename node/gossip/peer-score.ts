/**
 * Gossipsub scoring for record topics. Invalid records (validator Reject) count as P4 "invalid message
 * deliveries" only for topics that have score parameters, so every record topic gets them: a squared,
 * slowly decaying penalty that graylists a peer after a handful of invalid records, and no
 * mesh-delivery-rate penalty (P3), which would punish honest peers on topics that are quiet for hours.
 * `peerScoreFor` is the application-specific score (P5) fed from trust: pass it as
 * `createMeshLibp2p({ appSpecificScore })`.
 */
import type { TopicScoreParams } from '@libp2p/gossipsub/score'
import type { PeerRegistry } from '../mesh/peer-registry.js'

/** Score parameters for one record topic (see module comment). */
export const RECORD_TOPIC_SCORE_PARAMS: TopicScoreParams = {
  topicWeight: 1,
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 300,
  firstMessageDeliveriesWeight: 0.5,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 20,
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 100,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5_000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  // 1 invalid record: -10; 3: -90 (below the default graylist threshold of -80); half-life about 70 s
  invalidMessageDeliveriesWeight: -10,
  invalidMessageDeliveriesDecay: 0.99
}

/** The parts of the gossipsub implementation (beyond its public interface) this module uses. */
export interface GossipsubScoring {
  getScore?: (peerId: string) => number
  score?: { params?: { topics?: Record<string, TopicScoreParams> } }
}

/**
 * Install topic score parameters at run time (gossipsub keeps its score params object by reference).
 * Returns false if this gossipsub build does not expose them; then pass `scoreParams.topics` at
 * construction instead.
 */
export function installTopicScoreParams (pubsub: unknown, topic: string, params: TopicScoreParams = RECORD_TOPIC_SCORE_PARAMS): boolean {
  const topics = (pubsub as GossipsubScoring).score?.params?.topics
  if (topics == null) return false
  if (topics[topic] == null) topics[topic] = { ...params }
  return true
}

/** Trust of an org on DESIGN.md's 0..1000 scale, or undefined when unknown. */
export type TrustLookup = (orgDid: string) => number | undefined

/** Neutral trust (the "standard" tier's floor): peers at it score 0. */
const NEUTRAL_TRUST = 500
/** Application score per trust point away from neutral: 0 -> -10, 1000 -> +10. */
const SCORE_PER_TRUST_POINT = 10 / 500

/**
 * The application-specific score of a peer: 0 for peers not (yet) hello-verified (their records are
 * rejected by the validators anyway, and a negative score here would graylist the subscription
 * exchange that races hello), and a trust-derived score in [-10, 10] for verified peers. This stays
 * above gossipsub's graylist threshold: only invalid records (P4) get a peer graylisted.
 */
export function peerScoreFor (registry: Pick<PeerRegistry, 'orgOfPeer'>, trustLookup?: TrustLookup): (peerId: string) => number {
  return (peerId) => {
    const org = registry.orgOfPeer(peerId)
    if (org == null || trustLookup == null) return 0
    const t = trustLookup(org)
    if (t == null || !Number.isFinite(t)) return (300 - NEUTRAL_TRUST) * SCORE_PER_TRUST_POINT // unknown: probationary
    const clamped = Math.min(1000, Math.max(0, t))
    return (clamped - NEUTRAL_TRUST) * SCORE_PER_TRUST_POINT
  }
}
