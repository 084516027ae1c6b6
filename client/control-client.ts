/**
 * Client of a running node's local control API (the package's `./client` export). Used by the CLI and by
 * local agents: JSON requests over the node's Unix socket, node errors surfaced as `ControlApiError`,
 * a missing node as `NodeNotRunningError` with the command that starts one, and `onTask` for agents
 * that receive tasks.
 */
import { Agent, request as httpRequest } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { dirname, join } from 'node:path'
import {
  ControlAbortError, ControlApiError, ControlConnectionError, ControlTimeoutError, InvalidClientOptionsError,
  NodeNotRunningError
} from './errors.js'
import { runTaskLoop } from './agent-client.js'
import type { OnTaskOptions, TaskHandler, TaskLoop } from './agent-client.js'

export const CONTROL_SOCKET_NAME = 'control.sock'
export const DEFAULT_CONTROL_TIMEOUT_MS = 10_000
/** Largest reply the client reads. */
export const MAX_REPLY_BYTES = 8 * 1024 * 1024

export interface ClientOptions {
  /** The node's data directory; the socket is `<dataDir>/control.sock`. */
  dataDir?: string
  /** Explicit socket path (overrides `dataDir` for the connection). */
  socketPath?: string
  /** Default per-request timeout. */
  timeoutMs?: number
  /** Extra headers for each request, computed over its method, path and exact body (the agent API's proof). */
  sign?: (req: { method: string, path: string, body: Uint8Array }) => Promise<Record<string, string>>
}

export interface RequestOptions {
  signal?: AbortSignal
  timeoutMs?: number
}

export interface ControlClient {
  readonly socketPath: string
  readonly dataDir: string
  request: <T = unknown>(method: string, path: string, body?: unknown, options?: RequestOptions) => Promise<T>
  /** Long-poll for tasks this agent can handle and answer them with `handler` until stopped. */
  onTask: (abilities: string | readonly string[], handler: TaskHandler, options: OnTaskOptions) => TaskLoop
}

export function controlSocketPath (dataDir: string): string {
  return join(dataDir, CONTROL_SOCKET_NAME)
}

export function createClient (options: ClientOptions): ControlClient {
  const socketPath = options.socketPath ?? (options.dataDir != null ? controlSocketPath(options.dataDir) : undefined)
  if (socketPath == null || socketPath.length === 0) throw new InvalidClientOptionsError('createClient needs dataDir or socketPath')
  const dataDir = options.dataDir ?? dirname(socketPath)
  const defaultTimeout = options.timeoutMs ?? DEFAULT_CONTROL_TIMEOUT_MS

  // connections are kept and reused: an agent makes two requests per task (poll, result) and a sender
  // two (plan, send), and a new socket for each was a large part of a node's CPU per task (B12
  // profile). Idle kept sockets do not keep the process alive.
  const agent = new Agent({ keepAlive: true })
  const request = async <T = unknown>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8')
    const attempt = async (): Promise<unknown> => {
      // signed for each attempt: a proof's nonce is accepted once
      const extra = options.sign != null ? await options.sign({ method, path, body: payload ?? new Uint8Array(0) }) : {}
      return await send(agent, socketPath, dataDir, method, path, payload, extra, opts.timeoutMs ?? defaultTimeout, opts.signal)
    }
    try {
      return await attempt() as T
    } catch (err) {
      // a kept socket the server closed (its keep-alive timeout) just as it was reused: the request
      // was written to a closing socket and never reached a handler, so it is sent once more
      if (!(err instanceof StaleSocketError)) throw err
      return await attempt() as T
    }
  }

  const client: ControlClient = {
    socketPath,
    dataDir,
    request,
    onTask: (abilities, handler, opts) => runTaskLoop(client, typeof abilities === 'string' ? [abilities] : [...abilities], handler, opts)
  }
  return client
}

/** A reused keep-alive socket was reset before any reply: safe to send once more on a new one. */
class StaleSocketError extends Error {
  override readonly name = 'StaleSocketError'
}

async function send (agent: Agent, socketPath: string, dataDir: string, method: string, path: string, payload: Buffer | undefined, extraHeaders: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
  if (signal?.aborted === true) throw new ControlAbortError()
  return await new Promise<unknown>((resolve, reject) => {
    let settled = false
    let gotResponse = false
    const finish = (err: Error | undefined, value?: unknown): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      if (err != null) { req.destroy(); reject(err) } else resolve(value)
    }
    const onAbort = (): void => { finish(new ControlAbortError()) }
    const timer = setTimeout(() => { finish(new ControlTimeoutError(method, path, timeoutMs)) }, timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })

    const headers: Record<string, string | number> = { ...extraHeaders, accept: 'application/json' }
    if (payload != null) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = payload.length
    }
    const req = httpRequest({ socketPath, method, path, headers, agent })
    req.on('error', (err: NodeJS.ErrnoException) => {
      // an early reply (e.g. 413 before the whole body was sent) wins over the write error that follows
      if (gotResponse) return
      if (req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) { finish(new StaleSocketError(err.message, { cause: err })); return }
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') finish(new NodeNotRunningError(dataDir, { cause: err }))
      else finish(new ControlConnectionError(`control request ${method} ${path} failed: ${err.message}`, { cause: err }))
    })
    req.on('response', (res: IncomingMessage) => {
      gotResponse = true
      readReply(res).then((value) => { finish(undefined, value) }, (err: Error) => { finish(err) })
    })
    req.end(payload)
  })
}

async function readReply (res: IncomingMessage): Promise<unknown> {
  const status = res.statusCode ?? 0
  const chunks: Buffer[] = []
  let total = 0
  try {
    for await (const chunk of res) {
      total += (chunk as Buffer).length
      if (total > MAX_REPLY_BYTES) throw new ControlConnectionError(`control reply exceeds ${MAX_REPLY_BYTES} bytes`)
      chunks.push(chunk as Buffer)
    }
  } catch (err) {
    if (err instanceof ControlConnectionError) throw err
    throw new ControlConnectionError(`control reply was cut off: ${(err as Error).message}`, { cause: err })
  }
  const text = Buffer.concat(chunks).toString('utf8')
  let parsed: unknown
  if (text.length > 0) {
    try { parsed = JSON.parse(text) } catch {
      throw new ControlApiError('BAD_RESPONSE', status, `control reply (status ${status}) is not valid JSON`)
    }
  }
  if (status >= 200 && status < 300) return status === 204 ? undefined : parsed
  const e = (parsed as { error?: { code?: unknown, message?: unknown } } | undefined)?.error
  const code = typeof e?.code === 'string' ? e.code : 'HTTP_' + String(status)
  const message = typeof e?.message === 'string' ? e.message : `control request failed with status ${status}`
  throw new ControlApiError(code, status, message)
}
