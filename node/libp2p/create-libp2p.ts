/**
 * Builds the libp2p 3 host of a node: TCP, pnet (pre-shared swarm key, required), Noise, Yamux,
 * identify, ping, gossipsub (StrictSign), optional mDNS with a private service tag. Everything that
 * could reach outside the LAN is off: DNS is refused, no relays, AutoNAT, UPnP or bootstrap lists,
 * and the dnsaddr resolver is removed.
 */
import { createLibp2p, type Libp2p, type Libp2pInit } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { preSharedKey } from '@libp2p/pnet'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { mdns } from '@libp2p/mdns'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import type { ConnectionGater, PrivateKey, PeerDiscovery } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export interface MeshServices extends Record<string, unknown> {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
}

export type MeshLibp2p = Libp2p<MeshServices>

export interface CreateMeshLibp2pOptions {
  privateKey: PrivateKey
  /** Swarm key file bytes as parseSwarmKey returns them. */
  swarmKey: Uint8Array
  listen: string[]
  datastore?: Datastore
  connectionGater: ConnectionGater
  mdns?: { serviceTag: string, intervalMs?: number }
  /** Per-peer application score for gossipsub (fed from trust scores). */
  appSpecificScore?: (peerId: string) => number
  dialTimeoutMs?: number
  /** Multiaddr ranges exempt from inbound rate limits (LAN or loopback in tests). */
  allow?: string[]
}

export class DnsDisabledError extends Error {
  override readonly name = 'DnsDisabledError'
  readonly code = 'DNS_DISABLED'
}

/** A DNS implementation that refuses every query: the mesh is air-gapped and uses literal addresses. */
const noDns: NonNullable<Libp2pInit['dns']> = {
  async query (fqdn: string) {
    throw new DnsDisabledError(`DNS lookups are disabled on an air-gapped trustmesh node (asked for ${fqdn})`)
  }
}

export async function createMeshLibp2p (opts: CreateMeshLibp2pOptions): Promise<MeshLibp2p> {
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  if (opts.mdns != null) {
    peerDiscovery.push(mdns({ serviceTag: opts.mdns.serviceTag, interval: opts.mdns.intervalMs ?? 10_000 }))
  }
  const scoreParams = {
    appSpecificScore: opts.appSpecificScore ?? (() => 0),
    appSpecificWeight: 1,
    // many honest org nodes can share one LAN NAT or loopback: no penalty for IP colocation
    IPColocationFactorWeight: 0
  }
  return await createLibp2p<MeshServices>({
    privateKey: opts.privateKey,
    datastore: opts.datastore,
    addresses: { listen: opts.listen, announce: [], noAnnounce: [] },
    transports: [tcp()],
    connectionProtector: preSharedKey({ psk: opts.swarmKey }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: opts.connectionGater,
    peerDiscovery,
    dns: noDns,
    connectionManager: {
      dialTimeout: opts.dialTimeoutMs ?? 5_000,
      resolvers: {},
      allow: opts.allow ?? [],
      inboundConnectionThreshold: 50,
      maxIncomingPendingConnections: 32
    },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        doPX: false,
        fallbackToFloodsub: false,
        scoreParams
      })
    }
  })
}
