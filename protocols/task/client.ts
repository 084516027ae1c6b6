/**
 * The invoking end of the task protocol: send one TaskRequest and read the TaskReply. Throws a
 * ProtocolError (TIMEOUT, UNEXPECTED_EOF, STREAM_ERROR, MALFORMED_MESSAGE, ...) or the stream's error;
 * checking the receipt is the caller's job.
 */
import { requestReply, signalOrTimeout, streamFor, type StreamTarget } from '../request-response.js'
import { TASK_MAX_BYTES, TASK_PROTOCOL, TASK_TIMEOUT_MS, taskReplySchema, type TaskReply, type TaskRequest } from './messages.js'

export async function sendTaskRequest (target: StreamTarget, request: TaskRequest, options: { signal?: AbortSignal } = {}): Promise<TaskReply> {
  const signal = signalOrTimeout(options.signal, TASK_TIMEOUT_MS)
  const stream = await streamFor(target, TASK_PROTOCOL, signal)
  return await requestReply(stream, TASK_MAX_BYTES, request, taskReplySchema, signal)
}
