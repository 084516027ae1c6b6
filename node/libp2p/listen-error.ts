/**
 * Start-up errors that name the address: libp2p reports a failed listen as "Some configured addresses
 * failed to be listened on" without saying which. We probe each configured TCP address once, after
 * the failure, and name the ones that are busy or not ours to bind, so the operator sees
 * `ADDRESS_IN_USE: /ip4/127.0.0.1/tcp/7420 is already in use` and knows what to change.
 */
import { createServer } from 'node:net'

export class ListenError extends Error {
  override readonly name = 'ListenError'
  constructor (readonly code: 'ADDRESS_IN_USE' | 'ADDRESS_UNAVAILABLE' | 'LISTEN_FAILED', message: string, readonly addresses: readonly string[], options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** Whether libp2p's error is a failure to listen (its message or name). */
export function isListenFailure (err: unknown): boolean {
  const e = err as { name?: unknown, message?: unknown }
  return (typeof e?.message === 'string' && e.message.includes('failed to be listened on')) || e?.name === 'UnsupportedListenAddressesError' || e?.name === 'NoValidAddressesError'
}

async function probe (host: string, port: number): Promise<string | undefined> {
  return await new Promise(resolve => {
    const server = createServer()
    server.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? 'ERROR') })
    server.listen({ host, port, exclusive: true }, () => { server.close(() => { resolve(undefined) }) })
  })
}

/** The error to report for a failed listen on `listen`: which address, and why. */
export async function describeListenFailure (err: unknown, listen: readonly string[]): Promise<ListenError> {
  const busy: string[] = []
  const unavailable: string[] = []
  for (const a of listen) {
    // /ip4/<host>/tcp/<port> or /ip6/<host>/tcp/<port>; anything else has nothing to probe
    const m = /^\/ip[46]\/([^/]+)\/tcp\/(\d+)(\/|$)/.exec(a)
    if (m == null || Number(m[2]) === 0) continue
    const code = await probe(m[1], Number(m[2]))
    if (code === 'EADDRINUSE') busy.push(a)
    else if (code != null) unavailable.push(`${a} (${code})`)
  }
  if (busy.length > 0) return new ListenError('ADDRESS_IN_USE', `${busy.join(', ')} ${busy.length === 1 ? 'is' : 'are'} already in use (another node? choose another --listen port)`, busy, { cause: err })
  if (unavailable.length > 0) return new ListenError('ADDRESS_UNAVAILABLE', `cannot listen on ${unavailable.join(', ')}`, unavailable, { cause: err })
  return new ListenError('LISTEN_FAILED', `cannot listen on ${listen.join(', ')}: ${(err as Error).message}`, listen, { cause: err })
}
