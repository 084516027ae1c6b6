/**
 * Where an edge may listen and whom it may call: loopback or a unix socket only (DESIGN.md section 12),
 * so an edge never opens the agent's key to the network. Named errors with stable codes.
 */
import type { Server } from 'node:http'
import { isIP } from 'node:net'

export class EdgeAddressError extends Error {
  override readonly name = 'EdgeAddressError'
  readonly code = 'NOT_LOOPBACK'
}

export type ListenTarget = { host: string, port: number } | { path: string }

function isLoopbackHost (host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '')
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  return h === '::1'
}

/** `127.0.0.1:PORT`, `[::1]:PORT` or a unix socket path (`unix:/path` or an absolute path). */
export function parseListen (text: string): ListenTarget {
  if (text.startsWith('unix:')) return { path: text.slice(5) }
  if (text.startsWith('/')) return { path: text }
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text)
  if (m == null) throw new EdgeAddressError(`--listen ${text}: expected 127.0.0.1:PORT or a unix socket path`)
  const host = m[1].replace(/^\[|\]$/g, '')
  if (!isLoopbackHost(host) || host === 'localhost') throw new EdgeAddressError(`--listen ${text}: edges listen on a loopback address (127.0.0.1, ::1) or a unix socket only`)
  return { host, port: Number(m[2]) }
}

/** An A2A server the forward edge may call: http on a loopback address only. */
export function requireLoopbackUrl (text: string): URL {
  let url: URL
  try { url = new URL(text) } catch { throw new EdgeAddressError(`--to ${text} is not a URL`) }
  if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname) || url.hostname === 'localhost') throw new EdgeAddressError(`--to ${text}: the A2A server must be http on a loopback address (127.0.0.1, ::1)`)
  return url
}

/** Listen and resolve with the address a client uses (`http://127.0.0.1:PORT` or the socket path). */
export async function listenOn (server: Server, target: ListenTarget): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    const done = (): void => { server.off('error', reject); resolve() }
    if ('path' in target) server.listen(target.path, done)
    else server.listen(target.port, target.host, done)
  })
  const a = server.address()
  if (a == null || typeof a === 'string') return a ?? ''
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
}
