/**
 * The executing end of task-status: answer, to the org hello verified on the connection only, what
 * it knows of a parked task. A connection without a verified org learns nothing.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { serveRequest } from '../request-response.js'
import { TASK_STATUS_MAX_BYTES, TASK_STATUS_TIMEOUT_MS, taskStatusRequestSchema, type TaskStatusReply } from './messages.js'

export interface TaskStatusHandlerComponents {
  /** What this node tells `askingOrg` about task `taskId` (`{ v: 1, found: false }` if not its task). */
  statusOf: (taskId: string, askingOrg: string) => TaskStatusReply | Promise<TaskStatusReply>
  verifiedOrgOf: (connection: Connection) => string | undefined
}

export function createTaskStatusHandler (components: TaskStatusHandlerComponents, options: { timeoutMs?: number } = {}): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const fromOrg = components.verifiedOrgOf(connection)
    await serveRequest(stream, TASK_STATUS_MAX_BYTES, taskStatusRequestSchema, options.timeoutMs ?? TASK_STATUS_TIMEOUT_MS, async (req) =>
      fromOrg == null ? { v: 1, found: false } : await components.statusOf(req.taskId, fromOrg))
  }
}
