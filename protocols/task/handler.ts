/**
 * The serving end of the task protocol: read one TaskRequest, hand it to the executor with the org
 * hello verified on the connection, answer with its TaskReply. The executor gets a signal that aborts
 * when the stream closes or the handler's timeout passes.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from '../../identity/logger.js'
import { serveRequest } from '../request-response.js'
import { TASK_HANDLER_TIMEOUT_MS, TASK_MAX_BYTES, taskRequestSchema, type TaskReply, type TaskRequest } from './messages.js'

export interface TaskHandlerComponents {
  /** Runs the task; `from.orgDid` is the org hello verified (`unknown` if none). */
  execute: (request: TaskRequest, from: { orgDid: string }, options: { signal: AbortSignal }) => Promise<TaskReply>
  /** The org that completed hello on this connection. */
  verifiedOrgOf: (connection: Connection) => string | undefined
  logger: Pick<Logger, 'warn'>
}

export type TaskStreamHandler = (stream: Stream, connection: Connection) => Promise<void>

export function createTaskHandler (components: TaskHandlerComponents, options: { timeoutMs?: number } = {}): TaskStreamHandler {
  return async (stream, connection) => {
    const fromOrg = components.verifiedOrgOf(connection)
    const served = await serveRequest(stream, TASK_MAX_BYTES, taskRequestSchema, options.timeoutMs ?? TASK_HANDLER_TIMEOUT_MS,
      async (req, signal) => await components.execute(req, { orgDid: fromOrg ?? 'unknown' }, { signal }))
    if (!served.ok) components.logger.warn('bad task stream', { peer: connection.remotePeer.toString(), error: served.error.message })
  }
}
