/** delegation (`/trustmesh/delegation/1.0.0`): messages, limits, the receiving handler and the delivering client. */
export * from './messages.js'
export { createDelegationHandler, type DelegationHandlerComponents } from './handler.js'
export { deliverDelegation } from './client.js'
