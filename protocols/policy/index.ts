/** policy (`/trustmesh/policy/1.0.0`): messages, limits, the serving handler and the client. */
export {
  POLICY_PROTOCOL, POLICY_MAX_BYTES, POLICY_MAX_INBOUND_STREAMS, POLICY_TIMEOUT_MS,
  policyRequestSchema, policyReplySchema, type PolicyRequest, type PolicyReply
} from './messages.js'
export { createPolicyHandler, type PolicyHandlerComponents } from './handler.js'
export { requestPolicy } from './client.js'
