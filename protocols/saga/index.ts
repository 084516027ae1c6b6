/** saga (`/trustmesh/saga/1.0.0`): messages, limits, the serving handler and the client. */
export * from './messages.js'
export { createSagaHandler, type SagaHandlerComponents } from './handler.js'
export { requestUndoGrant } from './client.js'
