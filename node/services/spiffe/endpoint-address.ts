/**
 * The Workload API endpoint address: `unix:///absolute/path` or `tcp://<ip-literal>:<port>`, from an
 * option or `SPIFFE_ENDPOINT_SOCKET`, as the SPIFFE Workload Endpoint spec allows. Anything else
 * (host names, relative paths, query strings, credentials) is refused rather than guessed at; host
 * names would need a resolver, which the LAN-only node has none of.
 */
import { isIP } from 'node:net'
import { SpiffeBadAddressError, SpiffeNotConfiguredError } from './errors.js'

export const SPIFFE_ENDPOINT_ENV = 'SPIFFE_ENDPOINT_SOCKET'

export interface EndpointAddress {
  readonly kind: 'unix' | 'tcp'
  /** The address as configured. */
  readonly address: string
  /** The target string for grpc-js. */
  readonly grpcTarget: string
}

/** Parse an endpoint address strictly. Throws SpiffeBadAddressError. */
export function parseEndpointAddress (address: string): EndpointAddress {
  if (typeof address !== 'string' || address.length === 0) throw new SpiffeBadAddressError('SPIFFE endpoint address is empty')
  if (/[\s\u0000-\u001f\u007f?#%]/.test(address)) {
    throw new SpiffeBadAddressError(`SPIFFE endpoint address ${JSON.stringify(address)} has whitespace, control, '?', '#' or '%' characters`)
  }
  if (address.startsWith('unix://')) {
    const path = address.slice('unix://'.length)
    // unix:///path: empty authority, absolute path
    if (!path.startsWith('/') || path.startsWith('//')) {
      throw new SpiffeBadAddressError(`SPIFFE endpoint ${JSON.stringify(address)} must be unix:///absolute/path (no host part)`)
    }
    if (path.endsWith('/')) throw new SpiffeBadAddressError(`SPIFFE endpoint ${JSON.stringify(address)} names a directory, not a socket`)
    return { kind: 'unix', address, grpcTarget: `unix://${path}` }
  }
  if (address.startsWith('tcp://')) {
    const hostPort = address.slice('tcp://'.length)
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(hostPort)
    if (m == null) throw new SpiffeBadAddressError(`SPIFFE endpoint ${JSON.stringify(address)} must be tcp://<ip>:<port> with an IP literal and no path`)
    const host = m[1] ?? m[2]
    const version = isIP(host)
    if (version === 0 || (m[1] != null && version !== 6) || (m[2] != null && version !== 4)) {
      throw new SpiffeBadAddressError(`SPIFFE endpoint ${JSON.stringify(address)}: ${JSON.stringify(host)} is not an IP address`)
    }
    const port = Number(m[3])
    if (port < 1 || port > 65535 || String(port) !== m[3]) throw new SpiffeBadAddressError(`SPIFFE endpoint ${JSON.stringify(address)}: port ${m[3]} out of range`)
    const target = version === 6 ? `ipv6:[${host}]:${port}` : `ipv4:${host}:${port}`
    return { kind: 'tcp', address, grpcTarget: target }
  }
  throw new SpiffeBadAddressError(`SPIFFE endpoint ${JSON.stringify(address)} must start with unix:/// or tcp://`)
}

/**
 * The address from an explicit option, else from the environment. Throws SpiffeNotConfiguredError when
 * neither is set and SpiffeBadAddressError when the value is malformed.
 */
export function resolveEndpointAddress (option: string | undefined, env: NodeJS.ProcessEnv = process.env): EndpointAddress {
  const value = option ?? env[SPIFFE_ENDPOINT_ENV]
  if (value == null || value === '') throw new SpiffeNotConfiguredError()
  return parseEndpointAddress(value)
}
