/**
 * The executing end of saga: answer an undo-grant request from the org hello verified on the
 * connection; a connection without a verified org is refused without asking the granter.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { serveRequest } from '../request-response.js'
import { SAGA_MAX_BYTES, SAGA_TIMEOUT_MS, undoGrantRequestSchema, type UndoGrantReply, type UndoGrantRequest } from './messages.js'

export interface SagaHandlerComponents {
  /** Decide (under this node's policy) and, if allowed, issue the undo delegation for `fromOrg`'s coordinator. */
  grantUndo: (request: UndoGrantRequest, fromOrg: string, options: { signal?: AbortSignal }) => Promise<UndoGrantReply>
  verifiedOrgOf: (connection: Connection) => string | undefined
}

export function createSagaHandler (components: SagaHandlerComponents, options: { timeoutMs?: number } = {}): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const fromOrg = components.verifiedOrgOf(connection)
    await serveRequest(stream, SAGA_MAX_BYTES, undoGrantRequestSchema, options.timeoutMs ?? SAGA_TIMEOUT_MS, async (req, signal) =>
      fromOrg == null
        ? { v: 1, ok: false, code: 'UNVERIFIED_PEER', message: 'hello has not verified this connection' } satisfies UndoGrantReply
        : await components.grantUndo(req, fromOrg, { signal }))
  }
}
