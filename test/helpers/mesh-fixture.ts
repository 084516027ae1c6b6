/**
 * In-process mesh nodes for protocol tests, built through the composition root's `buildMeshStack`
 * (node/mesh-stack.ts): real libp2p on loopback with pnet, Noise and Yamux, a real hello, and the
 * in-memory parts (an enrolment repository, keys and a NodeCredential per test org). Multi-process
 * tests use real node processes.
 */
import { issueNodeCredential } from '../../identity/credentials.js'
import { libp2pPrivateKeyFromSeed, peerIdStringFromPublicKey } from '../../identity/peer-id.js'
import type { Ed25519Signer } from '../../identity/signer.js'
import { systemClock, type Clock } from '../../identity/clock.js'
import { silentLogger } from '../../identity/logger.js'
import type { MeshLibp2p } from '../../node/libp2p/create-libp2p.js'
import type { EnrolmentRepository, Enrolments } from '../../node/mesh/enrolments.js'
import type { Mesh } from '../../node/mesh/mesh.js'
import type { PeerRegistry } from '../../node/mesh/peer-registry.js'
import { buildMeshStack, memoryEnrolmentRepository } from '../../node/mesh-stack.js'
import { principal, seedFor } from './principals.js'

export interface MeshFixture {
  org: Ed25519Signer
  peerId: string
  libp2p: MeshLibp2p
  mesh: Mesh
  registry: PeerRegistry
  enrolments: Enrolments
  nodeCredential: string
  addr: () => string
  stop: () => Promise<void>
}

export function memoryEnrolmentRepo (): EnrolmentRepository {
  return memoryEnrolmentRepository()
}

export interface MeshFixtureOptions {
  orgName: string
  swarmKey: Uint8Array
  clock?: Clock
  /** Override the credential the node presents (to test refusals). */
  nodeCredential?: (peerId: string, org: Ed25519Signer) => Promise<string>
  helloTimeoutMs?: number
}

export async function startMeshNode (opts: MeshFixtureOptions): Promise<MeshFixture> {
  const clock = opts.clock ?? systemClock
  const org = principal(opts.orgName)
  const nodeSeed = seedFor(`${opts.orgName}-node`)
  const privateKey = await libp2pPrivateKeyFromSeed(nodeSeed)
  const peerId = peerIdStringFromPublicKey(privateKey.publicKey.raw)
  const nodeCredential = opts.nodeCredential != null
    ? await opts.nodeCredential(peerId, org)
    : await issueNodeCredential(org, { peerId, orgName: opts.orgName }, { clock, ttlSeconds: 3600 })
  const { libp2p, mesh, registry, enrolments } = await buildMeshStack({
    privateKey,
    swarmKey: opts.swarmKey,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    orgDid: org.did,
    enrolments: memoryEnrolmentRepo(),
    clock,
    logger: silentLogger(),
    helloTimeoutMs: opts.helloTimeoutMs,
    dialTimeoutMs: 3_000,
    localHello: () => ({ v: 1, nodeCredential, orgName: opts.orgName, software: 'trustmesh-test', policyDigest: 'sha256:test' })
  })
  await mesh.start()
  return {
    org,
    peerId,
    libp2p,
    mesh,
    registry,
    enrolments,
    nodeCredential,
    addr: () => libp2p.getMultiaddrs()[0].toString(),
    stop: async () => { await mesh.stop(); await libp2p.stop() }
  }
}

export interface SilentHostOptions {
  /** Names the host's key: `seedFor(seedName)`. */
  seedName: string
  swarmKey: Uint8Array
  listen?: string[]
  dialTimeoutMs?: number
}

/**
 * A node's libp2p host built through `buildMeshStack` whose mesh is never started: it has the right
 * swarm key but never says (or answers) hello, so its connections to a node stay provisional.
 */
export async function startSilentHost (opts: SilentHostOptions): Promise<MeshLibp2p> {
  const { libp2p } = await buildMeshStack({
    privateKey: await libp2pPrivateKeyFromSeed(seedFor(opts.seedName)),
    swarmKey: opts.swarmKey,
    listen: opts.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    orgDid: principal(opts.seedName).did,
    dialTimeoutMs: opts.dialTimeoutMs,
    localHello: () => { throw new Error('a silent host never says hello') }
  })
  return libp2p
}

/** Poll `check` until it is true or the deadline passes; no fixed sleeps. */
export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}
