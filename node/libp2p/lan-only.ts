/**
 * Address rules for an air-gapped mesh: only IPv4/IPv6 TCP multiaddrs with literal addresses are
 * accepted in configuration (no /dns*, no relays, no websockets to the outside), so a node never
 * performs a DNS lookup or dials anything it was not given or did not discover on the LAN.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'

export class InvalidAddressError extends Error {
  override readonly name = 'InvalidAddressError'
  readonly code = 'INVALID_ADDRESS'
}

const ALLOWED = /^\/ip[46]\/[^/]+\/tcp\/\d{1,5}(\/p2p\/[1-9A-HJ-NP-Za-km-z]+)?$/

export function parseLanMultiaddr (text: string, what = 'address'): Multiaddr {
  if (typeof text !== 'string' || !ALLOWED.test(text)) {
    throw new InvalidAddressError(`${what} ${JSON.stringify(text)} is not a literal /ip4|/ip6/<addr>/tcp/<port>[/p2p/<peer>] multiaddr (DNS names, relays and other transports are not allowed)`)
  }
  let ma: Multiaddr
  try {
    ma = multiaddr(text)
  } catch (err) {
    throw new InvalidAddressError(`${what} ${JSON.stringify(text)} is not a valid multiaddr: ${(err as Error).message}`)
  }
  const port = Number(text.split('/tcp/')[1].split('/')[0])
  if (port > 65535) throw new InvalidAddressError(`${what} ${JSON.stringify(text)} has an invalid port`)
  return ma
}

/** True for a multiaddr this node may dial: literal IP + TCP, nothing that needs name resolution. */
export function isDialableLanAddress (ma: Multiaddr): boolean {
  return ALLOWED.test(ma.toString())
}
