/**
 * Shapes of the node-side task dispatcher: the agent-task wire types (defined in protocols/control/ so
 * the agent SDK can share them without importing node/) and the outcome `dispatch` reports to the task
 * protocol.
 */
export { AGENT_POLL_PATH, AGENT_RESULT_PATH, agentResultPath } from '../../../protocols/control/agent-task.js'
export type { AgentTask, AgentTaskResult, AgentPollRequest } from '../../../protocols/control/agent-task.js'

export type DispatchOutcome =
  | { readonly ok: true, readonly output: unknown }
  | { readonly ok: false, readonly code: string, readonly message: string }
