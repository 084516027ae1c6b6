/**
 * Entry point of the package's `./client` export (package.json maps it to `dist/client/index.js`):
 * what a local agent or script needs to talk to its node, without the node-side server.
 */
export { createClient, controlSocketPath } from './control-client.js'
export type { ControlClient, ClientOptions, RequestOptions } from './control-client.js'
export type { TaskHandler, OnTaskOptions, TaskLoop } from './agent-client.js'
export type { AgentTask, AgentTaskResult } from '../protocols/control/agent-task.js'
export {
  NodeNotRunningError, ControlTimeoutError, ControlApiError, ControlConnectionError, InvalidClientOptionsError,
  ControlAbortError
} from './errors.js'
