/**
 * A local API server: HTTP with JSON bodies over a Unix domain socket. The node runs two, each with its
 * own routes: the operator API (`<dataDir>/control.sock`, mode 0600, so only the node's own user can
 * reach it) and the agent API (`<dataDir>/agent.sock`, mode and group configurable, every request
 * authenticated by `authenticate` before any route is looked up). The server owns framing, limits,
 * error mapping and the socket file's life cycle.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { chmodSync, chownSync, lstatSync, statSync, unlinkSync } from 'node:fs'
import type { Logger } from '../../identity/logger.js'
import { ControlSocketError, NodeAlreadyRunningError } from './errors.js'

/** Largest accepted JSON request body. */
export const MAX_BODY_BYTES = 1024 * 1024
/** How long `start()` waits for an existing socket to answer before calling it stale. */
export const PROBE_TIMEOUT_MS = 1000
/** Longest usable `sun_path` (bytes, without the terminating NUL). */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface ControlRequest {
  /** Values of the `:name` segments of the route, URI-decoded. */
  readonly params: Readonly<Record<string, string>>
  /** Query string; the last value wins for repeated keys. */
  readonly query: Readonly<Record<string, string>>
  /** Parsed JSON body, `undefined` when there was none. */
  readonly body: unknown
  /** Aborted when the caller disconnects or the server stops. */
  readonly signal: AbortSignal
  /** Who `authenticate` says sent it (the agent DID on the agent API); undefined without an authenticator. */
  readonly caller?: string
}

/** What an authenticator sees of a request: everything a signature may cover. */
export interface RawRequest {
  method: string
  /** Path and query as sent. */
  path: string
  headers: IncomingMessage['headers']
  body: Buffer
}

export type ControlHandler = (req: ControlRequest) => Promise<unknown>

export interface ControlServer {
  readonly socketPath: string
  /** Register a handler; `path` segments starting with `:` capture a parameter. */
  route: (method: HttpMethod, path: string, handler: ControlHandler) => void
  start: () => Promise<void>
  stop: () => Promise<void>
  isStarted: () => boolean
}

export interface ControlServerOptions {
  socketPath: string
  logger: Logger
  maxBodyBytes?: number
  /** Socket file mode; default 0600. */
  mode?: number
  /** Group id the socket file is given (with a mode that lets the group in); default: unchanged. */
  gid?: number
  /** Names the caller of every request, or throws a coded error (401); runs before routing. */
  authenticate?: (req: RawRequest) => Promise<string | undefined>
  /** Name used in log lines and errors ("control", "agent"). */
  label?: string
}

interface Route {
  method: HttpMethod
  segments: string[]
  handler: ControlHandler
}

interface Reply { status: number, body?: unknown }

class Coded { constructor (readonly status: number, readonly code: string, readonly message: string) {} }

export function createControlServer (options: ControlServerOptions): ControlServer {
  const { socketPath, logger } = options
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES
  const mode = options.mode ?? 0o600
  const label = options.label ?? 'control'
  const routes: Route[] = []
  const active = new Set<AbortController>()
  let server: Server | undefined
  let starting: Promise<void> | undefined
  let stopping: Promise<void> | undefined

  const route = (method: HttpMethod, path: string, handler: ControlHandler): void => {
    routes.push({ method, segments: splitPath(path), handler })
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const controller = new AbortController()
    active.add(controller)
    res.on('close', () => { active.delete(controller); if (!res.writableFinished) controller.abort() })
    let reply: Reply
    try {
      reply = await dispatch(req, controller.signal)
    } catch (err) {
      reply = errorReply(err, logger, req)
    }
    send(res, reply)
  }

  const dispatch = async (req: IncomingMessage, signal: AbortSignal): Promise<Reply> => {
    const url = new URL(req.url ?? '/', 'http://control')
    const raw = await readBody(req, maxBody)
    let caller: string | undefined
    if (options.authenticate != null) {
      try {
        caller = await options.authenticate({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: raw })
      } catch (err) {
        const e = err as { code?: unknown, message?: unknown }
        throw new Coded(401, typeof e.code === 'string' ? e.code : 'UNAUTHENTICATED', typeof e.message === 'string' ? e.message : 'request not authenticated')
      }
    }
    const segments = splitPath(url.pathname)
    let pathMatched = false
    const allowed: string[] = []
    for (const r of routes) {
      const params = matchSegments(r.segments, segments)
      if (params == null) continue
      pathMatched = true
      allowed.push(r.method)
      if (r.method !== req.method) continue
      const body = parseJson(raw)
      const query: Record<string, string> = {}
      for (const [k, v] of url.searchParams) query[k] = v
      const value = await r.handler({ params, query, body, signal, ...(caller != null ? { caller } : {}) })
      return value === undefined ? { status: 204 } : { status: 200, body: value }
    }
    if (pathMatched) throw new Coded(405, 'METHOD_NOT_ALLOWED', `${req.method ?? '?'} not allowed on ${url.pathname}; allowed: ${allowed.join(', ')}`)
    throw new Coded(404, 'NOT_FOUND', `no route ${req.method ?? '?'} ${url.pathname}`)
  }

  const start = async (): Promise<void> => {
    if (server != null && stopping == null) return
    if (stopping != null) await stopping
    if (starting != null) return await starting
    starting = listen().finally(() => { starting = undefined })
    await starting
  }

  const listen = async (): Promise<void> => {
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
      throw new ControlSocketError(socketPath, `${label} socket path is ${Buffer.byteLength(socketPath)} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} a Unix socket allows; use a shorter data directory`)
    }
    await clearStaleSocket(socketPath)
    const s = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
      handle(req, res).catch((err: unknown) => { logger.error('control reply failed', { error: String(err) }); res.destroy() })
    })
    s.headersTimeout = 10_000
    s.requestTimeout = 0 // long polls outlive any fixed request timeout; bodies are capped instead
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => { reject(err) }
      s.once('error', onError)
      // umask makes the socket 0600 from the moment it exists; bind happens synchronously in listen()
      const old = process.umask(0o177)
      try {
        s.listen(socketPath, () => { s.off('error', onError); resolve() })
      } finally {
        process.umask(old)
      }
    })
    try {
      if (options.gid != null) chownSync(socketPath, -1, options.gid)
      chmodSync(socketPath, mode)
      const actual = statSync(socketPath).mode & 0o777
      if (actual !== mode) throw new ControlSocketError(socketPath, `${label} socket ${socketPath} has mode ${actual.toString(8)}, expected ${mode.toString(8)}`)
    } catch (err) {
      await closeServer(s)
      throw err
    }
    s.on('error', (err) => { logger.error('control server error', { error: err.message }) })
    server = s
    logger.info(`${label} API listening`, { socket: socketPath, mode: mode.toString(8) })
  }

  const stop = async (): Promise<void> => {
    if (starting != null) await starting.catch(() => {})
    if (stopping != null) return await stopping
    const s = server
    if (s == null) return
    stopping = (async () => {
      for (const c of active) c.abort()
      await closeServer(s)
      try { unlinkSync(socketPath) } catch { /* already gone */ }
      server = undefined
      logger.info(`${label} API stopped`, { socket: socketPath })
    })().finally(() => { stopping = undefined })
    await stopping
  }

  return { socketPath, route, start, stop, isStarted: () => server != null && stopping == null }
}

async function closeServer (s: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => { s.close(() => { resolve() }) })
  s.closeIdleConnections()
  // give in-flight replies (aborted long polls answer 204 at once) a moment, then cut what is left
  const timer = setTimeout(() => { s.closeAllConnections() }, 200)
  await closed
  clearTimeout(timer)
}

/** Refuse to start over a live node; remove a socket file nobody answers on; never remove other files. */
async function clearStaleSocket (socketPath: string): Promise<void> {
  let isSocket: boolean
  try {
    isSocket = lstatSync(socketPath).isSocket()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!isSocket) throw new ControlSocketError(socketPath, `${socketPath} exists and is not a socket; refusing to replace it`)
  if (await answers(socketPath)) throw new NodeAlreadyRunningError(socketPath)
  try { unlinkSync(socketPath) } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

async function answers (socketPath: string): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const sock = connect(socketPath)
    const done = (v: boolean): void => { clearTimeout(timer); sock.destroy(); resolve(v) }
    // a process that accepts connections but never answers still owns the socket: treat as live
    const timer = setTimeout(() => { done(true) }, PROBE_TIMEOUT_MS)
    sock.once('connect', () => { done(true) })
    sock.once('error', () => { done(false) })
  })
}

async function readBody (req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (Number.isFinite(declared) && declared > max) throw new Coded(413, 'BODY_TOO_LARGE', `request body exceeds ${max} bytes`)
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    total += buf.length
    if (total > max) throw new Coded(413, 'BODY_TOO_LARGE', `request body exceeds ${max} bytes`)
    chunks.push(buf)
  }
  return Buffer.concat(chunks)
}

function parseJson (raw: Buffer): unknown {
  if (raw.length === 0) return undefined
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    throw new Coded(400, 'BAD_JSON', 'request body is not valid JSON')
  }
}

function errorReply (err: unknown, logger: Logger, req: IncomingMessage): Reply {
  if (err instanceof Coded) return { status: err.status, body: { error: { code: err.code, message: err.message } } }
  const e = err as { code?: unknown, status?: unknown, message?: unknown, syscall?: unknown, errno?: unknown } | null
  // Node system errors (ENOENT, EACCES, ...) also carry a code, but they are I/O failures whose
  // messages name local paths: they stay internal
  const systemError = e != null && typeof e === 'object' && (e.syscall !== undefined || typeof e.errno === 'number')
  if (e != null && typeof e === 'object' && !systemError && typeof e.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(e.code)) {
    const status = typeof e.status === 'number' && Number.isInteger(e.status) && e.status >= 400 && e.status <= 599 ? e.status : 400
    const message = typeof e.message === 'string' ? e.message : e.code
    return { status, body: { error: { code: e.code, message } } }
  }
  logger.error('control handler failed', { method: req.method, path: req.url, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } }
}

function send (res: ServerResponse, reply: Reply): void {
  if (res.writableEnded || res.destroyed) return
  if (reply.status === 204 || reply.body === undefined) {
    res.writeHead(reply.status === 200 ? 204 : reply.status)
    res.end()
    return
  }
  let text: string
  try {
    text = JSON.stringify(reply.body)
  } catch {
    text = JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } })
    reply = { status: 500 }
  }
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }
  // after a refused oversized body the rest of the upload is not read: close instead of draining it
  if (reply.status === 413) headers.connection = 'close'
  res.writeHead(reply.status, headers)
  res.end(text)
}

function splitPath (path: string): string[] {
  return path.split('/').filter((s) => s.length > 0)
}

function matchSegments (pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string
    const a = actual[i] as string
    if (p.startsWith(':')) {
      try { params[p.slice(1)] = decodeURIComponent(a) } catch { return undefined }
    } else if (p !== a) {
      return undefined
    }
  }
  return params
}
