/**
 * Part of the composition root: builds a node's network stack, the libp2p host (TCP, pnet, Noise,
 * Yamux, gossipsub; node/libp2p/create-libp2p.ts) behind a gater that consults the peer registry,
 * and the hello-gated Mesh over it. `createNode` calls it with the parts it loaded from the data dir;
 * tests and benchmarks call it with in-memory parts (an in-memory enrolment repository, per-test keys
 * and credentials) so that every in-process node is built the way a real node is.
 *
 * The libp2p host is started as it is built (libp2p's default); the mesh is not: the caller starts it
 * (and stops both: mesh first, then libp2p).
 */
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'
import { systemClock, type Clock } from '../identity/clock.js'
import { silentLogger, type Logger } from '../identity/logger.js'
import type { HelloMessage, VerifyHelloOptions } from '../protocols/hello/index.js'
import { createMeshLibp2p, type MeshLibp2p } from './libp2p/create-libp2p.js'
import { mdnsServiceTag } from './libp2p/swarm-key.js'
import { Enrolments, type Enrolment, type EnrolmentRepository } from './mesh/enrolments.js'
import { Mesh, createConnectionGater, type MeshComponents } from './mesh/mesh.js'
import { PeerRegistry } from './mesh/peer-registry.js'
import { MemoryRepository } from './store/memory-repository.js'

/** Loopback: exempt from libp2p's inbound rate limits. */
export const DEFAULT_ALLOW = ['/ip4/127.0.0.0/ipcidr/8']

export interface MeshStackParts {
  privateKey: PrivateKey
  /** Swarm key file bytes as parseSwarmKey returns them. */
  swarmKey: Uint8Array
  listen: string[]
  /** This node's org; enrolments never name it. */
  orgDid: string
  /**
   * Enrolled partner orgs: a loaded `Enrolments`, or a repository to load them from.
   * Default: an empty in-memory repository.
   */
  enrolments?: Enrolments | EnrolmentRepository
  /** Default: a new registry on `clock`. */
  registry?: PeerRegistry
  /** Default: the system clock. */
  clock?: Clock
  /** The mesh logs under `<logger>:mesh`. Default: silent. */
  logger?: Logger
  /** The hello this node presents (its NodeCredential, org name, software, policy digest, SVID). */
  localHello: () => HelloMessage
  verifySpiffe?: VerifyHelloOptions['verifySpiffe']
  successors?: MeshComponents['successors']
  retiredPeers?: MeshComponents['retiredPeers']
  staticPeers?: string[]
  helloTimeoutMs?: number
  dialTimeoutMs?: number
  /** mDNS discovery with the swarm key's private service tag. Default: off. */
  mdns?: boolean
  /** libp2p's datastore (the node's `libp2p` sublevel); default: libp2p's in-memory one. */
  datastore?: Datastore
  /** Multiaddr ranges exempt from inbound rate limits. Default: loopback. */
  allow?: string[]
  /** Per-peer application score for gossipsub (fed from trust scores). */
  appSpecificScore?: (peerId: string) => number
}

export interface MeshStack {
  libp2p: MeshLibp2p
  mesh: Mesh
  registry: PeerRegistry
  enrolments: Enrolments
}

/** An in-memory enrolment repository (tests, benchmarks). */
export function memoryEnrolmentRepository (): EnrolmentRepository {
  return new MemoryRepository<Enrolment>('peers')
}

export async function buildMeshStack (parts: MeshStackParts): Promise<MeshStack> {
  const clock = parts.clock ?? systemClock
  const logger = parts.logger ?? silentLogger()
  let enrolments: Enrolments
  if (parts.enrolments instanceof Enrolments) {
    enrolments = parts.enrolments
  } else {
    enrolments = new Enrolments(parts.enrolments ?? memoryEnrolmentRepository(), parts.orgDid)
    await enrolments.load()
  }
  const registry = parts.registry ?? new PeerRegistry(clock)
  const libp2p = await createMeshLibp2p({
    privateKey: parts.privateKey,
    swarmKey: parts.swarmKey,
    listen: parts.listen,
    datastore: parts.datastore,
    connectionGater: createConnectionGater(registry),
    mdns: parts.mdns === true ? { serviceTag: mdnsServiceTag(parts.swarmKey) } : undefined,
    dialTimeoutMs: parts.dialTimeoutMs,
    appSpecificScore: parts.appSpecificScore,
    allow: parts.allow ?? DEFAULT_ALLOW
  })
  const mesh = new Mesh({
    libp2p,
    registry,
    enrolments,
    clock,
    logger: logger.child('mesh'),
    staticPeers: parts.staticPeers,
    helloTimeoutMs: parts.helloTimeoutMs,
    dialTimeoutMs: parts.dialTimeoutMs,
    verifySpiffe: parts.verifySpiffe,
    ...(parts.successors != null ? { successors: parts.successors } : {}),
    ...(parts.retiredPeers != null ? { retiredPeers: parts.retiredPeers } : {}),
    localHello: parts.localHello
  })
  return { libp2p, mesh, registry, enrolments }
}
