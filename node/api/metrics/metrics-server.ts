/**
 * The metrics endpoint (`--metrics-listen`, loopback unless told otherwise): `GET /metrics` in the
 * Prometheus text format and `GET /healthz` (200 while the node runs). Read-only; nothing else is
 * served here.
 */
import { createServer, type Server } from 'node:http'
import type { Logger } from '../../../identity/logger.js'
import type { Startable } from '../../components.js'
import type { ListenAddress } from '../../settings.js'
import { describeHttpListenFailure } from '../http-listen.js'

export interface MetricsServerParts {
  listen: ListenAddress
  logger: Logger
  scrape: () => Promise<{ contentType: string, body: string }>
  /** For /healthz: what the node reports about itself. */
  health: () => Record<string, unknown>
}

export interface MetricsServer extends Startable {
  /** The bound address (port resolved when 0 was asked for). */
  address: () => ListenAddress | undefined
}

export function createMetricsServer (parts: MetricsServerParts): MetricsServer {
  let server: Server | undefined
  return {
    address () {
      const a = server?.address()
      return a != null && typeof a === 'object' ? { host: a.address, port: a.port } : undefined
    },
    async start () {
      if (server != null) return
      const s = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0]
        if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET' }).end(); return }
        if (path === '/healthz') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ...parts.health() }))
          return
        }
        if (path === '/metrics') {
          parts.scrape().then(m => { res.writeHead(200, { 'content-type': m.contentType }).end(m.body) }, (err: Error) => {
            parts.logger.warn('metrics scrape failed', { error: err.message })
            res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n')
          })
          return
        }
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n')
      })
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err) => { reject(describeHttpListenFailure(err, parts.listen, 'metrics')) })
        s.listen(parts.listen.port, parts.listen.host, () => { resolve() })
      })
      server = s
      parts.logger.info('metrics listening', { address: `${parts.listen.host}:${String(this.address()?.port)}` })
    },
    async stop () {
      const s = server
      server = undefined
      if (s != null) await new Promise<void>(resolve => { s.closeAllConnections(); s.close(() => { resolve() }) })
    }
  }
}
