/**
 * The web console served by the node (`--console-listen`, loopback unless told otherwise): pending
 * approvals with their chain, ring, rule and reason, decided in the browser with the approver's own
 * key (console-script.ts), and a page of peers and recent decisions. The node never sees an approver
 * key: a decision arrives as the same signed approval JWT the CLI sends and goes through the same
 * queue, so it is verified, spent once and audited exactly as a CLI approval is.
 *
 * Requests that change state must be same-origin JSON (a cross-site form cannot send them).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from '../../../identity/logger.js'
import type { Startable } from '../../components.js'
import type { ListenAddress } from '../../settings.js'
import { ApprovalError, type ApprovalQueue } from '../../services/approvals/approval-queue.js'
import { approvalView, httpStatusOf } from '../operator/approval-routes.js'
import { describeHttpListenFailure } from '../http-listen.js'
import { approvalsPage, peersPage, CONSOLE_CSS, type DecisionRow, type PeerRow } from './pages.js'
import { CONSOLE_SCRIPT } from './console-script.js'

const MAX_BODY_BYTES = 64 * 1024
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

export interface ConsoleParts {
  listen: ListenAddress
  logger: Logger
  orgName: string
  queue: Pick<ApprovalQueue, 'list' | 'get' | 'decide'>
  peers: () => PeerRow[]
  decisions: (limit: number) => Promise<DecisionRow[]>
}

export interface ConsoleServer extends Startable {
  address: () => ListenAddress | undefined
}

class HttpError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) { super(message) }
}

async function readJson (req: IncomingMessage): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'BAD_REQUEST', 'send application/json')
  let size = 0
  const chunks: Buffer[] = []
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'BAD_REQUEST', 'body too large')
    chunks.push(c as Buffer)
  }
  try { return JSON.parse(Buffer.concat(chunks).toString('utf8')) } catch { throw new HttpError(400, 'BAD_REQUEST', 'body is not JSON') }
}

export function createConsoleServer (parts: ConsoleParts): ConsoleServer {
  let server: Server | undefined

  const send = (res: ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, { 'content-type': type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' }).end(body)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET') {
      if (path === '/') { send(res, 200, 'text/html; charset=utf-8', approvalsPage(parts.orgName, parts.queue.list('pending'))); return }
      if (path === '/peers') { send(res, 200, 'text/html; charset=utf-8', peersPage(parts.orgName, parts.peers(), await parts.decisions(50))); return }
      if (path === '/console.js') { send(res, 200, 'text/javascript; charset=utf-8', CONSOLE_SCRIPT); return }
      if (path === '/console.css') { send(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS); return }
      if (path === '/api/approvals') { send(res, 200, 'application/json', JSON.stringify(parts.queue.list('pending').map(approvalView))); return }
      throw new HttpError(404, 'NOT_FOUND', `no page ${path}`)
    }
    const m = /^\/api\/approvals\/([A-Za-z0-9_-]{1,64})\/(approve|deny)$/.exec(path)
    if (req.method !== 'POST' || m == null) throw new HttpError(404, 'NOT_FOUND', `no route ${req.method ?? ''} ${path}`)
    const origin = req.headers.origin
    if (origin != null && origin !== `http://${req.headers.host ?? ''}`) throw new HttpError(403, 'CROSS_ORIGIN', 'decisions are accepted from the console\'s own pages only')
    const body = await readJson(req) as { token?: unknown }
    if (typeof body?.token !== 'string') throw new HttpError(400, 'APPROVAL_TOKEN_REQUIRED', 'a signed approval token is required')
    const rec = parts.queue.get(m[1])
    if (rec == null) throw new HttpError(404, 'UNKNOWN_APPROVAL', `no parked task ${m[1]}`)
    let claimed: unknown
    try { claimed = (JSON.parse(Buffer.from(body.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { decision?: unknown }).decision } catch { claimed = undefined }
    if (claimed !== m[2]) throw new HttpError(400, 'APPROVAL_MALFORMED', `the signed approval does not say ${m[2]}`)
    try {
      const done = await parts.queue.decide(rec.id, body.token)
      parts.logger.info('console decision', { approval: rec.id, state: done.state })
      send(res, 200, 'application/json', JSON.stringify(approvalView(done)))
    } catch (err) {
      if (err instanceof ApprovalError) throw new HttpError(httpStatusOf(err.code), err.code, err.message)
      throw err
    }
  }

  return {
    address () {
      const a = server?.address()
      return a != null && typeof a === 'object' ? { host: a.address, port: a.port } : undefined
    },
    async start () {
      if (server != null) return
      const s = createServer((req, res) => {
        handle(req, res).catch((err: Error) => {
          const status = err instanceof HttpError ? err.status : 500
          const code = err instanceof HttpError ? err.code : 'INTERNAL'
          if (status === 500) parts.logger.error('console request failed', { error: err.message })
          send(res, status, 'application/json', JSON.stringify({ code, message: status === 500 ? 'internal error' : err.message }))
        })
      })
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err) => { reject(describeHttpListenFailure(err, parts.listen, 'console')) })
        s.listen(parts.listen.port, parts.listen.host, () => { resolve() })
      })
      server = s
      parts.logger.info('console listening', { address: `http://${parts.listen.host}:${String(this.address()?.port)}/` })
    },
    async stop () {
      const s = server
      server = undefined
      if (s != null) await new Promise<void>(resolve => { s.closeAllConnections(); s.close(() => { resolve() }) })
    }
  }
}
