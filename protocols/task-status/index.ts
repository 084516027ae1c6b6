/** task-status (`/trustmesh/task-status/1.0.0`): messages, limits, the serving handler and the client. */
export * from './messages.js'
export { createTaskStatusHandler, type TaskStatusHandlerComponents } from './handler.js'
export { requestTaskStatus } from './client.js'
