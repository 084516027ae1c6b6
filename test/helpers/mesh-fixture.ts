/**
 * In-process mesh nodes for protocol tests: real libp2p on loopback with pnet, Noise and Yamux, a
 * real hello, and an in-memory enrolment repository. Multi-process tests use real node processes.
 */
import { issueNodeCredential } from '../../identity/credentials.js'
import { libp2pPrivateKeyFromSeed, peerIdStringFromPublicKey } from '../../identity/peer-id.js'
import type { Ed25519Signer } from '../../identity/signer.js'
import { systemClock, type Clock } from '../../identity/clock.js'
import { silentLogger } from '../../identity/logger.js'
import { createMeshLibp2p, type MeshLibp2p } from '../../node/libp2p/create-libp2p.js'
import { Enrolments, type Enrolment } from '../../node/mesh/enrolments.js'
import { Mesh, createConnectionGater } from '../../node/mesh/mesh.js'
import { PeerRegistry } from '../../node/mesh/peer-registry.js'
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

export function memoryEnrolmentRepo (): ConstructorParameters<typeof Enrolments>[0] {
  const m = new Map<string, Enrolment>()
  return {
    get: async (k) => m.get(k),
    put: async (k, v) => { m.set(k, v) },
    del: async (k) => { m.delete(k) },
    list: async () => [...m.entries()]
  }
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
  const registry = new PeerRegistry(clock)
  const enrolments = new Enrolments(memoryEnrolmentRepo(), org.did)
  const libp2p = await createMeshLibp2p({
    privateKey,
    swarmKey: opts.swarmKey,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    connectionGater: createConnectionGater(registry),
    allow: ['/ip4/127.0.0.1/ipcidr/8'],
    dialTimeoutMs: 3_000
  })
  const mesh = new Mesh({
    libp2p,
    registry,
    enrolments,
    clock,
    logger: silentLogger(),
    helloTimeoutMs: opts.helloTimeoutMs,
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

/** Poll `check` until it is true or the deadline passes; no fixed sleeps. */
export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}
