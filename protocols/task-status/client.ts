/** The requesting end of task-status: ask the executing node about one task; throws on stream or message errors. */
import { requestReply, signalOrTimeout, streamFor, type StreamTarget } from '../request-response.js'
import { TASK_STATUS_MAX_BYTES, TASK_STATUS_PROTOCOL, TASK_STATUS_TIMEOUT_MS, taskStatusReplySchema, type TaskStatusReply } from './messages.js'

export async function requestTaskStatus (target: StreamTarget, taskId: string, options: { signal?: AbortSignal } = {}): Promise<TaskStatusReply> {
  const signal = signalOrTimeout(options.signal, TASK_STATUS_TIMEOUT_MS)
  const stream = await streamFor(target, TASK_STATUS_PROTOCOL, signal)
  return await requestReply(stream, TASK_STATUS_MAX_BYTES, { v: 1, taskId }, taskStatusReplySchema, signal)
}
