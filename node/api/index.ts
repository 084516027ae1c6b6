/** Public API of the local control plane: the socket server, its client, and local task hand-off. */
export { createControlServer, MAX_BODY_BYTES } from './control-server.js'
export type { ControlServer, ControlServerOptions, ControlRequest, ControlHandler, HttpMethod } from './control-server.js'
export { createClient, controlSocketPath, CONTROL_SOCKET_NAME, DEFAULT_CONTROL_TIMEOUT_MS } from '../../client/control-client.js'
export type { ControlClient, ClientOptions, RequestOptions } from '../../client/control-client.js'
export type { TaskHandler, OnTaskOptions, TaskLoop } from '../../client/agent-client.js'
export { createTaskDispatcher } from '../services/tasks/task-dispatcher.js'
export type { TaskDispatcher, TaskDispatcherOptions, DispatchOptions } from '../services/tasks/task-dispatcher.js'
export type { AgentTask, AgentTaskResult, DispatchOutcome, AgentPollRequest } from '../services/tasks/task-types.js'
export { abilityMatches, isAbility, isAbilityPattern } from './ability-match.js'
export {
  ControlRouteError, NodeAlreadyRunningError, NodeNotRunningError, ControlTimeoutError, ControlApiError,
  ControlConnectionError, ControlSocketError, InvalidClientOptionsError, ControlAbortError
} from './errors.js'
