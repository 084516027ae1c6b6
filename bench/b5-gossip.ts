/**
 * DESIGN.md B5: trust gossip to N in-process nodes after warm-up, through the real record gossip
 * (gossipsub with StrictSign over TCP + pnet + Noise + Yamux on loopback, the topic validator with an
 * Ed25519 signature check per hop, a persisted intake). Each node's libp2p and mesh are built by the
 * composition root's `buildMeshStack`, but the mesh is not started: hello is skipped (every connection
 * is marked verified as it opens) and the store is in memory: B5 measures propagation, not enrolment
 * or fsync.
 * All nodes share this process's 2 cores, so N is stepped down honestly when setup does not fit the
 * time budget; the figure states the N it was measured at beside the target of 200.
 *
 * Run alone: `node dist/bench/b5-gossip.js` (TRUSTMESH_B5_NODES=<n> to pick N).
 */
import { createHash, generateKeyPairSync, sign, verify, randomBytes, type KeyObject } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import '../node/polyfill.js'
import { fail, ok, type Result } from '../identity/result.js'
import { libp2pPrivateKeyFromSeed } from '../identity/peer-id.js'
import { systemClock } from '../identity/clock.js'
import { silentLogger } from '../identity/logger.js'
import type { MeshLibp2p } from '../node/libp2p/create-libp2p.js'
import { formatSwarmKey, parseSwarmKey } from '../node/libp2p/swarm-key.js'
import type { PeerRegistry } from '../node/mesh/peer-registry.js'
import { buildMeshStack } from '../node/mesh-stack.js'
import { MemoryRepository } from '../node/store/memory-repository.js'
import type { Store } from '../node/store/open-store.js'
import type { StoreBatch } from '../node/store/batch.js'
import type { SublevelName } from '../node/store/sublevels.js'
import { SUBLEVELS } from '../node/store/sublevels.js'
import { createRecordGossip, RecordTopics, type RecordGossip, type RecordTopic } from '../node/gossip/index.js'
import { formatFigures, percentile, type BenchFigure } from './report.js'

const TARGET_NODES = 200
const TARGET_LAST_MS = 1_000
/** Outbound dials per node (ring neighbour + random chords): average degree about twice this. */
const DIALS_PER_NODE = 3
const WARMUP_RECORDS = 2
const MEASURED_RECORDS = 10
const SETUP_BUDGET_MS = 60_000
const COMPARISON_NODES = 50
const DELIVERY_DEADLINE_MS = 5_000

interface Attestation { iss: number, sub: string, score: number, iat: number, exp: number }

interface BenchNode {
  libp2p: MeshLibp2p
  registry: PeerRegistry
  gossip: RecordGossip
  /** record id -> performance.now() when accepted here */
  received: Map<string, number>
}

/** Signed attestation records: base64url(payload).base64url(Ed25519 signature), issuer by index. */
class Issuers {
  readonly keys: Array<{ priv: KeyObject, pub: KeyObject }> = []
  constructor (n: number) {
    for (let i = 0; i < n; i++) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519')
      this.keys.push({ priv: privateKey, pub: publicKey })
    }
  }

  issue (iss: number, sub: string): string {
    const now = Math.floor(Date.now() / 1000)
    const payload = Buffer.from(JSON.stringify({ iss, sub, score: 700 + (iss % 300), iat: now, exp: now + 3600 } satisfies Attestation))
    return `${payload.toString('base64url')}.${sign(null, payload, this.keys[iss].priv).toString('base64url')}`
  }

  validate (record: string, now: number): Result<{ id: string, value: Attestation }> {
    const [p, s, extra] = record.split('.')
    if (p == null || s == null || extra != null) return fail('MALFORMED_RECORD', 'not payload.signature')
    const payload = Buffer.from(p, 'base64url')
    let a: Attestation
    try { a = JSON.parse(payload.toString('utf8')) as Attestation } catch { return fail('MALFORMED_RECORD', 'payload is not JSON') }
    const key = this.keys[a.iss]
    if (!Number.isInteger(a.iss) || key == null) return fail('UNKNOWN_ISSUER', 'unknown issuer')
    if (!verify(null, payload, key.pub, Buffer.from(s, 'base64url'))) return fail('BAD_SIGNATURE', 'bad signature')
    if (a.exp * 1000 <= now) return fail('EXPIRED', 'attestation expired')
    return ok({ id: createHash('sha256').update(record).digest('hex'), value: a })
  }
}

/** A Store stand-in over in-memory repositories (B5 measures propagation, not fsync). */
function memoryStore (): Pick<Store, 'repository' | 'batch'> {
  const repos = new Map<string, MemoryRepository<unknown>>()
  const repo = <T>(name: SublevelName): MemoryRepository<T> => {
    let r = repos.get(name)
    if (r == null) { r = new MemoryRepository<unknown>(name); repos.set(name, r) }
    return r as MemoryRepository<T>
  }
  return {
    repository: <T>(name: SublevelName) => repo<T>(name),
    batch: (): StoreBatch => {
      const ops: Array<() => Promise<void>> = []
      const b: StoreBatch = {
        get length () { return ops.length },
        put (name, key, value) { ops.push(async () => { await repo(name).put(key, value) }); return b },
        del (name, key) { ops.push(async () => { await repo(name).del(key) }); return b },
        async write () { for (const op of ops) await op() }
      }
      return b
    }
  }
}

async function startNode (swarmKey: Uint8Array, issuers: Issuers): Promise<BenchNode> {
  const { libp2p, mesh, registry } = await buildMeshStack({
    privateKey: await libp2pPrivateKeyFromSeed(randomBytes(32)),
    swarmKey,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    orgDid: 'did:bench:self',
    clock: systemClock,
    logger: silentLogger('bench'),
    dialTimeoutMs: 20_000,
    localHello: () => { throw new Error('B5 skips hello') }
  })
  // hello skipped (the mesh is never started): each connection counts as verified for an org named
  // after the remote PeerId, so the mesh serves the gossip's sync protocol and never reports a peer
  libp2p.addEventListener('connection:open', (e) => {
    const peerId = e.detail.remotePeer.toString()
    registry.markVerified(e.detail.id, { orgDid: `did:bench:${peerId}`, orgName: 'bench', peerId, software: 'bench', policyDigest: 'bench', credentialExpiresAt: Number.MAX_SAFE_INTEGER })
  })
  libp2p.addEventListener('connection:close', (e) => { registry.connectionClosed(e.detail.id) })
  const received = new Map<string, number>()
  const gossip = createRecordGossip({
    libp2p,
    mesh,
    registry,
    store: memoryStore(),
    logger: silentLogger('bench'),
    clock: systemClock
  })
  const topic: RecordTopic<Attestation> = {
    name: RecordTopics.trust,
    sublevel: SUBLEVELS.trustAttestations,
    maxBytes: 4096,
    maxRecords: 10_000,
    validate: (record, ctx) => issuers.validate(record, ctx.now),
    onAccept: async (_value, id) => { received.set(id, performance.now()) }
  }
  gossip.register(topic)
  await gossip.start()
  return { libp2p, registry, gossip, received }
}

/** Deterministic pseudo-random (xorshift) so the topology is the same every run. */
function rng (seed: number): () => number {
  let x = seed
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 0x1_0000_0000 }
}

async function until (check: () => boolean, deadline: number): Promise<boolean> {
  while (performance.now() < deadline) {
    if (check()) return true
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return check()
}

export interface B5Run { nodes: number, setupMs: number, delivered: number, expected: number, lastMs: number[], ok: boolean, reason?: string }

export async function measureGossip (n: number, budgetMs = SETUP_BUDGET_MS): Promise<B5Run> {
  const swarmKey = parseSwarmKey(formatSwarmKey(randomBytes(32)))
  const issuers = new Issuers(Math.min(n, 50))
  const nodes: BenchNode[] = []
  const t0 = performance.now()
  const setupDeadline = t0 + budgetMs
  try {
    for (let i = 0; i < n; i++) nodes.push(await startNode(swarmKey, issuers))
    const rand = rng(0x5eed + n)
    const dials: Array<[number, number]> = []
    for (let i = 0; i < n; i++) {
      const targets = new Set<number>([(i + 1) % n])
      while (targets.size < Math.min(DIALS_PER_NODE, n - 1)) {
        const j = Math.floor(rand() * n)
        if (j !== i) targets.add(j)
      }
      for (const j of targets) dials.push([i, j])
    }
    let failedDials = 0
    const CONCURRENCY = 8
    for (let k = 0; k < dials.length; k += CONCURRENCY) {
      await Promise.all(dials.slice(k, k + CONCURRENCY).map(async ([i, j]) => {
        await nodes[i].libp2p.dial(multiaddr(nodes[j].libp2p.getMultiaddrs()[0].toString()), { signal: AbortSignal.timeout(20_000) }).catch((err: Error) => {
          failedDials++
          if (process.env.TRUSTMESH_B5_DEBUG != null) process.stderr.write(`dial ${i}->${j} failed: ${err.name} ${err.message}\n`)
        })
      }))
      if (performance.now() > setupDeadline) return { nodes: n, setupMs: performance.now() - t0, delivered: 0, expected: 0, lastMs: [], ok: false, reason: 'connecting exceeded the setup budget' }
    }
    const meshOf = (b: BenchNode): string[] => (b.libp2p.services.pubsub as unknown as { getMeshPeers: (t: string) => string[] }).getMeshPeers(RecordTopics.trust)
    // ready: every node has a mesh of at least gossipsub's D_lo (4) peers, or all its connections if fewer
    const peersOf = (b: BenchNode): number => new Set(b.libp2p.getConnections().map(c => c.remotePeer.toString())).size
    const meshed = await until(() => nodes.every(b => meshOf(b).length >= Math.min(4, peersOf(b))), setupDeadline)
    if (!meshed && process.env.TRUSTMESH_B5_DEBUG != null) {
      const bad = nodes.filter(b => meshOf(b).length < Math.min(4, peersOf(b)))
      process.stderr.write(`mesh not ready on ${bad.length} nodes: ${bad.slice(0, 5).map(b => `conns ${b.libp2p.getConnections().length} (${new Set(b.libp2p.getConnections().map(c => c.remotePeer.toString())).size} peers) mesh ${meshOf(b).length} subs ${b.libp2p.services.pubsub.getSubscribers(RecordTopics.trust).length}`).join('; ')}\n`)
    }
    if (!meshed) return { nodes: n, setupMs: performance.now() - t0, delivered: 0, expected: 0, lastMs: [], ok: false, reason: 'gossipsub mesh did not form within the setup budget' }
    const setupMs = performance.now() - t0
    if (process.env.TRUSTMESH_B5_DEBUG != null) {
      const conns = nodes.map(b => b.libp2p.getConnections().length)
      const mesh = nodes.map(b => meshOf(b).length)
      const subs = nodes.map(b => b.libp2p.services.pubsub.getSubscribers(RecordTopics.trust).length)
      process.stderr.write(`setup ${setupMs.toFixed(0)} ms, failed dials ${failedDials}, conns min ${Math.min(...conns)} max ${Math.max(...conns)}, mesh min ${Math.min(...mesh)} max ${Math.max(...mesh)}, subscribers min ${Math.min(...subs)}\n`)
    }
    const send = async (k: number): Promise<{ delivered: number, lastMs: number }> => {
      const from = nodes[Math.floor(rand() * n)]
      const record = issuers.issue(Math.abs(k) % issuers.keys.length, `did:bench:subject-${k}`)
      const id = createHash('sha256').update(record).digest('hex')
      const start = performance.now()
      const r = await from.gossip.publish(RecordTopics.trust, record)
      if (!r.ok) throw new Error(`bench record refused: ${r.error.code}`)
      const others = nodes.filter(b => b !== from)
      await until(() => others.every(b => b.received.has(id)), performance.now() + DELIVERY_DEADLINE_MS)
      const times = others.map(b => b.received.get(id)).filter((t): t is number => t != null)
      if (process.env.TRUSTMESH_B5_DEBUG != null) {
        const conns = nodes.map(b => b.libp2p.getConnections().length)
        const mesh = nodes.map(b => meshOf(b).length)
        const streams = (b: BenchNode): number => (b.libp2p.services.pubsub as unknown as { streamsOutbound: Map<string, unknown> }).streamsOutbound?.size ?? -1
        process.stderr.write(`record ${k}: delivered ${times.length}/${others.length}, conns min ${Math.min(...conns)}, mesh min ${Math.min(...mesh)} zero ${mesh.filter(x => x === 0).length}, outbound streams min ${Math.min(...nodes.map(streams))}, publisher mesh ${meshOf(from).length}\n`)
      }
      return { delivered: times.length, lastMs: times.length > 0 ? Math.max(...times) - start : NaN }
    }
    for (let k = 0; k < WARMUP_RECORDS; k++) await send(-1 - k)
    let delivered = 0
    const lastMs: number[] = []
    for (let k = 0; k < MEASURED_RECORDS; k++) {
      const r = await send(k)
      delivered += r.delivered
      lastMs.push(r.lastMs)
    }
    if (process.env.TRUSTMESH_B5_DEBUG != null) {
      const scores = nodes.flatMap(b => b.libp2p.getConnections().map(c => (b.libp2p.services.pubsub as unknown as { getScore: (p: string) => number }).getScore(c.remotePeer.toString())))
      process.stderr.write(`scores min ${Math.min(...scores).toFixed(1)}, negative ${scores.filter(x => x < 0).length}/${scores.length}, below -80 ${scores.filter(x => x < -80).length}; per record ${lastMs.map(x => x.toFixed(0)).join(',')}\n`)
    }
    return { nodes: n, setupMs, delivered, expected: MEASURED_RECORDS * (n - 1), lastMs, ok: true }
  } finally {
    await Promise.all(nodes.map(async b => { await b.gossip.stop().catch(() => {}); await Promise.resolve(b.libp2p.stop()).catch(() => {}) }))
  }
}

/** B5 at N = 200 if it fits; otherwise at the largest N tried (200, 120, 60, 30) whose setup fits the budget. */
export async function runB5 (): Promise<BenchFigure[]> {
  const env = Number(process.env.TRUSTMESH_B5_NODES)
  const ladder = Number.isInteger(env) && env > 1 ? [env] : [TARGET_NODES, 120, 60, 30]
  let run: B5Run | undefined
  const notes: string[] = []
  for (const n of ladder) {
    run = await measureGossip(n)
    if (run.ok) break
    notes.push(`N=${n}: ${run.reason ?? 'failed'} (${(run.setupMs / 1000).toFixed(1)} s)`)
  }
  if (run == null || !run.ok) {
    return [{ id: 'B5', what: 'trust gossip to N nodes after warm-up', value: 'not measured', target: '100% delivered, last < 1 s at N=200', met: false, note: notes.join('; ') }]
  }
  const pct = run.expected === 0 ? 0 : (run.delivered / run.expected) * 100
  const worst = Math.max(...run.lastMs.map(x => Number.isNaN(x) ? Infinity : x))
  const p50 = percentile(run.lastMs.filter(x => !Number.isNaN(x)), 50)
  const met = run.nodes >= TARGET_NODES && run.delivered === run.expected && worst < TARGET_LAST_MS
  notes.push(`${MEASURED_RECORDS} records, Ed25519 check per hop, in-memory store, hello skipped, one process on ${process.env.TRUSTMESH_CORES ?? 'shared'} cores; setup ${(run.setupMs / 1000).toFixed(1)} s`)
  const figures: BenchFigure[] = [{
    id: 'B5',
    what: `trust gossip to N=${run.nodes} in-process nodes after warm-up`,
    value: `${pct.toFixed(pct === 100 ? 0 : 2)}% delivered, last receiver p50 ${p50.toFixed(0)} ms / max ${Number.isFinite(worst) ? worst.toFixed(0) : 'never'} ms`,
    target: `100% delivered, last < 1 s at N=${TARGET_NODES}`,
    met,
    note: notes.join('; ')
  }]
  // the same at a small N, for comparison: on one shared machine, latency grows with the total CPU all N nodes need
  if (run.nodes > COMPARISON_NODES && ladder.length > 1) {
    const small = await measureGossip(COMPARISON_NODES)
    if (small.ok) {
      const w = Math.max(...small.lastMs.map(x => Number.isNaN(x) ? Infinity : x))
      figures.push({ id: 'B5', what: `same, N=${COMPARISON_NODES} (comparison)`, value: `${((small.delivered / small.expected) * 100).toFixed(0)}% delivered, last receiver max ${Number.isFinite(w) ? w.toFixed(0) : 'never'} ms`, target: 'info' })
    }
  }
  return figures
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runB5().then(f => { process.stdout.write(formatFigures(f) + '\n'); process.exit(0) }, err => { process.stderr.write(`${(err as Error).stack ?? String(err)}\n`); process.exit(1) })
}
