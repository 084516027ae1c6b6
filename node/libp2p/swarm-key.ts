/**
 * The private-network pre-shared key in the libp2p/IPFS swarm key file format
 * (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits). `init` writes one per org; operators share it
 * out of band. A node refuses to start without a valid one.
 */
import { createHash, randomBytes } from 'node:crypto'

export const SWARM_KEY_HEADER = '/key/swarm/psk/1.0.0/'

export class InvalidSwarmKeyError extends Error {
  override readonly name = 'InvalidSwarmKeyError'
  readonly code = 'INVALID_SWARM_KEY'
}

export function formatSwarmKey (key: Uint8Array = randomBytes(32)): string {
  if (key.length !== 32) throw new InvalidSwarmKeyError(`swarm key must be 32 bytes, got ${key.length}`)
  return `${SWARM_KEY_HEADER}\n/base16/\n${Buffer.from(key).toString('hex')}\n`
}

/** Parse and validate a swarm key file; returns the canonical file bytes @libp2p/pnet expects. */
export function parseSwarmKey (text: string, source = 'swarm key'): Uint8Array {
  const lines = text.split(/\r?\n/).map(l => l.trim()).filter(l => l.length > 0)
  if (lines.length !== 3 || lines[0] !== SWARM_KEY_HEADER || lines[1] !== '/base16/') {
    throw new InvalidSwarmKeyError(`${source} is not in the ${SWARM_KEY_HEADER} /base16/ format`)
  }
  if (!/^[0-9a-fA-F]{64}$/.test(lines[2])) {
    throw new InvalidSwarmKeyError(`${source} must hold exactly 64 hex digits (32 bytes)`)
  }
  return new TextEncoder().encode(`${SWARM_KEY_HEADER}\n/base16/\n${lines[2].toLowerCase()}`)
}

/**
 * The mDNS service tag of a mesh, derived from its swarm key so that only nodes holding the same key
 * answer each other's queries, and the key itself is never revealed (a hash prefix only).
 */
export function mdnsServiceTag (swarmKeyFile: Uint8Array): string {
  const digest = createHash('sha256').update('trustmesh-mdns-tag:').update(swarmKeyFile).digest('hex')
  return `_tm-${digest.slice(0, 12)}._udp.local`
}
