/**
 * Public API of the node side of the local control plane: the socket server and local task hand-off.
 * The client is the package's `./client` export (client/), which node/ does not import.
 */
export { createControlServer, MAX_BODY_BYTES } from './control-server.js'
export type { ControlServer, ControlServerOptions, ControlRequest, ControlHandler, HttpMethod } from './control-server.js'
export { createTaskDispatcher } from '../services/tasks/task-dispatcher.js'
export type { TaskDispatcher, TaskDispatcherOptions, DispatchOptions } from '../services/tasks/task-dispatcher.js'
export type { AgentTask, AgentTaskResult, DispatchOutcome, AgentPollRequest } from '../services/tasks/task-types.js'
export { abilityMatches, isAbility, isAbilityPattern } from './ability-match.js'
export { ControlRouteError, NodeAlreadyRunningError, ControlSocketError } from './errors.js'
