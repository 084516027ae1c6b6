/** Start-up errors of the node's local HTTP servers (metrics, console) name the address that failed. */
import { ListenError } from '../libp2p/listen-error.js'
import type { ListenAddress } from '../settings.js'

export function describeHttpListenFailure (err: unknown, at: ListenAddress, what: string): ListenError {
  const code = (err as NodeJS.ErrnoException).code
  const addr = `${at.host}:${at.port}`
  if (code === 'EADDRINUSE') return new ListenError('ADDRESS_IN_USE', `${what}: ${addr} is already in use (choose another --${what}-listen)`, [addr], { cause: err })
  return new ListenError('ADDRESS_UNAVAILABLE', `${what}: cannot listen on ${addr} (${code ?? (err as Error).message})`, [addr], { cause: err })
}
