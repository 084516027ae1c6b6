/** task (`/trustmesh/task/1.0.0`): messages, limits, the serving handler and the client. */
export * from './messages.js'
export { createTaskHandler, type TaskHandlerComponents, type TaskStreamHandler } from './handler.js'
export { sendTaskRequest } from './client.js'
