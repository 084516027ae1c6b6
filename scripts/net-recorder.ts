/**
 * Air-gap recorder, preloaded with `node --import <this file>` (e.g. through NODE_OPTIONS). It wraps
 * every way a Node process can reach the network (TCP/Unix socket connects, DNS lookups and queries,
 * UDP sends, http/https requests and fetch) and appends one JSON line per attempt to the file named by
 * `TRUSTMESH_NET_RECORD`, before the attempt proceeds. The air-gap test reads the file afterwards.
 * It changes no behaviour: every wrapped function calls the original with the same arguments.
 */
import { appendFileSync } from 'node:fs'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { isIP } from 'node:net'

export interface NetRecord {
  kind: 'tcp' | 'unix' | 'dns' | 'udp' | 'http' | 'fetch'
  /** The function that was called, e.g. `net.Socket.connect`, `dns.lookup`, `dgram.Socket.send`. */
  fn: string
  host?: string
  port?: number
  path?: string
  /** Host name or query of a DNS call; URL of a request. */
  target?: string
  /**
   * For DNS calls: the name is an IP literal (`dns.lookup('127.0.0.1')`, as `listen` and dgram `bind`
   * do), which Node answers itself without asking any resolver.
   */
  ipLiteral?: boolean
  pid: number
  at: number
}

const file = process.env.TRUSTMESH_NET_RECORD
const require = createRequire(import.meta.url)

function record (r: Omit<NetRecord, 'pid' | 'at'>): void {
  if (file == null || file === '') return
  try {
    appendFileSync(file, JSON.stringify({ ...r, pid: process.pid, at: Date.now() }) + '\n')
  } catch {
    // recording must never change the behaviour of the process
  }
}

type Fn = (...args: unknown[]) => unknown

function wrap (obj: Record<string, unknown> | undefined, name: string, before: (args: unknown[]) => void): void {
  const orig = obj?.[name]
  if (obj == null || typeof orig !== 'function' || (orig as { __tmRecorded?: boolean }).__tmRecorded === true) return
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    before(args)
    return (orig as Fn).apply(this, args)
  }
  Object.defineProperty(wrapped, '__tmRecorded', { value: true })
  Object.defineProperty(wrapped, 'name', { value: (orig as Fn).name })
  obj[name] = wrapped
}

/** Arguments of `socket.connect(...)`: options object, normalized array, (port, host) or (path). */
function socketTarget (args: unknown[]): { host?: string, port?: number, path?: string } {
  let a: unknown = args[0]
  if (Array.isArray(a)) a = a[0]
  if (a != null && typeof a === 'object') {
    const o = a as { host?: unknown, port?: unknown, path?: unknown }
    if (typeof o.path === 'string') return { path: o.path }
    return { host: typeof o.host === 'string' ? o.host : 'localhost', port: Number(o.port) }
  }
  if (typeof a === 'number' || (typeof a === 'string' && /^\d+$/.test(a))) {
    return { port: Number(a), host: typeof args[1] === 'string' ? args[1] : 'localhost' }
  }
  if (typeof a === 'string') return { path: a }
  return {}
}

function recordSocket (fn: string, args: unknown[]): void {
  const t = socketTarget(args)
  if (t.path != null) { record({ kind: 'unix', fn, path: t.path }); return }
  record({ kind: 'tcp', fn, host: t.host, port: t.port })
  // a host name (not an IP literal) means a DNS lookup inside connect
  if (t.host != null && isIP(t.host) === 0) record({ kind: 'dns', fn: `${fn} (implied lookup)`, target: t.host })
}

const net = require('node:net') as { Socket: { prototype: Record<string, unknown> } }
wrap(net.Socket.prototype, 'connect', args => { recordSocket('net.Socket.connect', args) })

const DNS_FUNCTIONS = ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCaa', 'resolveCname', 'resolveMx',
  'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt', 'reverse']
const dns = require('node:dns') as Record<string, unknown> & { promises: Record<string, unknown>, Resolver: { prototype: Record<string, unknown> } }
const dnsPromises = dns.promises as Record<string, unknown> & { Resolver: { prototype: Record<string, unknown> } }
for (const [label, obj] of [['dns', dns], ['dns.promises', dnsPromises], ['dns.Resolver', dns.Resolver.prototype], ['dns.promises.Resolver', dnsPromises.Resolver.prototype]] as const) {
  for (const name of DNS_FUNCTIONS) wrap(obj as Record<string, unknown>, name, args => { record({ kind: 'dns', fn: `${label}.${name}`, target: String(args[0]), ipLiteral: isIP(String(args[0])) !== 0 }) })
}

const dgram = require('node:dgram') as { Socket: { prototype: Record<string, unknown> } }
wrap(dgram.Socket.prototype, 'send', function (args) {
  // send(msg, [offset, length,] port, [address], [callback]); a connected socket omits port/address
  const offsetForm = typeof args[1] === 'number' && typeof args[2] === 'number' && typeof args[3] === 'number'
  const port = offsetForm ? args[3] : args[1]
  const address = offsetForm ? args[4] : args[2]
  record({ kind: 'udp', fn: 'dgram.Socket.send', port: typeof port === 'number' ? port : undefined, host: typeof address === 'string' ? address : undefined })
})
wrap(dgram.Socket.prototype, 'connect', args => { record({ kind: 'udp', fn: 'dgram.Socket.connect', port: Number(args[0]), host: typeof args[1] === 'string' ? args[1] : 'localhost' }) })

function requestTarget (args: unknown[]): string {
  const a = args[0]
  if (typeof a === 'string') return a
  if (a instanceof URL) return a.toString()
  const o = (a ?? {}) as { socketPath?: unknown, hostname?: unknown, host?: unknown, port?: unknown, path?: unknown }
  if (typeof o.socketPath === 'string') return `unix:${o.socketPath}:${String(o.path ?? '/')}`
  return `${String(o.hostname ?? o.host ?? 'localhost')}:${String(o.port ?? '')}${String(o.path ?? '/')}`
}
for (const mod of ['http', 'https'] as const) {
  const m = require(`node:${mod}`) as Record<string, unknown>
  for (const name of ['request', 'get']) wrap(m, name, args => { record({ kind: 'http', fn: `${mod}.${name}`, target: requestTarget(args) }) })
}
wrap(globalThis as unknown as Record<string, unknown>, 'fetch', args => {
  const a = args[0]
  record({ kind: 'fetch', fn: 'fetch', target: typeof a === 'string' ? a : a instanceof URL ? a.toString() : String((a as { url?: unknown })?.url) })
})

// ESM named imports of builtins (`import { lookup } from 'node:dns'`) see the wrapped functions too
syncBuiltinESMExports()
