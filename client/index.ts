/**
 * Entry point of the package's `./client` export (package.json maps it to `dist/node/control/client.js`):
 * what a local agent or script needs to talk to its node, without the node-side server.
 */
export { createClient, controlSocketPath } from './control-client.js'
export type { ControlClient, ClientOptions, RequestOptions } from './control-client.js'
export type { TaskHandler, OnTaskOptions, TaskLoop } from './agent-client.js'
export type { AgentTask, AgentTaskResult } from '../node/services/tasks/task-types.js'
export {
  NodeNotRunningError, ControlTimeoutError, ControlApiError, ControlConnectionError, InvalidClientOptionsError,
  ControlAbortError
} from '../node/api/errors.js'
