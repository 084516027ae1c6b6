/** The serving end of echo: read one message, write it back. */
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from '../../identity/logger.js'
import { serveRequest } from '../request-response.js'
import { ECHO_MAX_BYTES, ECHO_TIMEOUT_MS, echoSchema } from './messages.js'

export function createEchoHandler (components: { logger: Pick<Logger, 'debug'> }): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const served = await serveRequest(stream, ECHO_MAX_BYTES, echoSchema, ECHO_TIMEOUT_MS, async (req) => req)
    if (!served.ok) components.logger.debug('bad echo stream', { peer: connection.remotePeer.toString(), error: served.error.message })
  }
}
