/** Record gossip (revocations, trust attestations, audit checkpoints): topics, validation, catch-up sync, scoring. */
export { createRecordGossip, type RecordGossip, type RecordGossipComponents, type PublishOutcome, type StoredRecordEntry } from './record-gossip.js'
export { RecordTopics, RecordGossipError, type RecordTopic, type RecordTopicName, type RecordValidationContext, type StoredRecord, type IntakeOutcome } from './record-topic.js'
export { type IntakeCounters } from './record-intake.js'
export { SyncPeerError, SYNC_MAX_REQUESTS_PER_STREAM, type SyncSummary } from './record-sync.js'
export { peerScoreFor, installTopicScoreParams, RECORD_TOPIC_SCORE_PARAMS, type TrustLookup } from './peer-score.js'
export { SYNC_PROTOCOL } from '../../protocols/sync/messages.js'
