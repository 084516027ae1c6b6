/** sync (`/trustmesh/sync/1.0.0`): messages, limits, the serving handler and the pulling client. */
export * from './messages.js'
export { handleSync, type SyncSource, type SyncHandlerComponents } from './handler.js'
export { pullRecords, SyncPeerError, type SyncSummary, type SyncOffer, type SyncTopicSink, type SyncClientComponents } from './client.js'
