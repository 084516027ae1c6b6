/** agents (`/trustmesh/agents/1.0.0`): messages, limits, the serving handler and the client. */
export * from './messages.js'
export { createAgentsHandler, type AgentsHandlerComponents } from './handler.js'
export { requestAgents, requestAgentsReply } from './client.js'
export * from './agent-card.js'
