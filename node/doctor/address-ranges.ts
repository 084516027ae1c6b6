/**
 * Which IP addresses count as "on the LAN" for `trustmesh doctor`: loopback, RFC 1918, link-local and
 * IPv6 unique-local. Anything else in a listen or partner address means the node may talk beyond the
 * private network it is meant to stay on.
 */
import { isIP } from 'node:net'

export type AddressScope = 'loopback' | 'private' | 'link-local' | 'unspecified' | 'public' | 'not-ip'

function ipv4Scope (ip: string): AddressScope {
  const [a, b] = ip.split('.').map(Number)
  if (a === 127) return 'loopback'
  if (a === 0) return 'unspecified'
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private'
  if (a === 169 && b === 254) return 'link-local'
  return 'public'
}

function ipv6Scope (ip: string): AddressScope {
  const v = ip.toLowerCase()
  if (v === '::1') return 'loopback'
  if (v === '::') return 'unspecified'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v)
  if (mapped != null) return ipv4Scope(mapped[1])
  const first = parseInt(v.split(':')[0] === '' ? '0' : v.split(':')[0], 16)
  if ((first & 0xfe00) === 0xfc00) return 'private'
  if ((first & 0xffc0) === 0xfe80) return 'link-local'
  return 'public'
}

export function ipScope (ip: string): AddressScope {
  const kind = isIP(ip)
  if (kind === 4) return ipv4Scope(ip)
  if (kind === 6) return ipv6Scope(ip)
  return 'not-ip'
}

/** The scope of a multiaddr's host part (`/ip4/<a>/...`, `/ip6/<a>/...`); DNS names are `not-ip`. */
export function multiaddrScope (ma: string): AddressScope {
  const m = /^\/(ip4|ip6)\/([^/]+)/.exec(ma)
  return m == null ? 'not-ip' : ipScope(m[2])
}

export function isLanScope (scope: AddressScope): boolean {
  return scope === 'loopback' || scope === 'private' || scope === 'link-local'
}
