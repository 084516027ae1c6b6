/**
 * Entry point of the package's `./client` export (package.json maps it to `dist/client/index.js`):
 * the agent SDK (`createAgent`, an agent with its own key on its node's agent API) and the plain
 * control client the CLI uses on the operator socket.
 */
export { createAgent, agentSocketPath, AGENT_SOCKET_NAME } from './agent.js'
export type { Agent, CreateAgentOptions, AgentInfo, SendInput, TaskOutcome, DelegateInput, Grant, TrustScore, DirectoryEntry, HeldDelegation } from './agent.js'
export { createClient, controlSocketPath } from './control-client.js'
export type { ControlClient, ClientOptions, RequestOptions } from './control-client.js'
export type { TaskHandler, OnTaskOptions, TaskLoop } from './agent-client.js'
export type { AgentSagas, SagaRunOptions } from './agent-sagas.js'
export type { SagaView, SagaStepView, SagaTimelineEvent } from '../protocols/control/saga.js'
export type { AgentTask, AgentTaskResult } from '../protocols/control/agent-task.js'
export { generateAgentKeyFile, loadAgentKeyFile, AgentKeyError } from '../identity/agent-key.js'
export type { Signer } from '../identity/signer.js'
export {
  NodeNotRunningError, ControlTimeoutError, ControlApiError, ControlConnectionError, InvalidClientOptionsError,
  ControlAbortError
} from './errors.js'
