/**
 * B4, B6 and B11 (DESIGN 10). B4: LAN connect on loopback (TCP + pnet + Noise + Yamux, then hello)
 * p95 < 50 ms, and a request/response round trip on a new stream of an open, verified connection
 * p95 < 10 ms, with in-process nodes whose libp2p and mesh are built by the composition root's
 * `buildMeshStack` (node/mesh-stack.ts) with in-memory enrolments. B6: a node with the wrong swarm
 * key and a node of an unenrolled org: no connection (wrong key) or no stream served beyond hello
 * (unenrolled), refused within the dial timeout. B11 (restated): RSS of one real idle standalone node
 * process (from /proc/<pid>/status) minus that of a bare `node` process measured in the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection } from '@libp2p/interface'
import { issueNodeCredential } from '../identity/credentials.js'
import { libp2pPrivateKeyFromSeed, peerIdStringFromPublicKey } from '../identity/peer-id.js'
import { Ed25519Signer } from '../identity/signer.js'
import { systemClock } from '../identity/clock.js'
import { silentLogger } from '../identity/logger.js'
import type { MeshLibp2p } from '../node/libp2p/create-libp2p.js'
import { formatSwarmKey, parseSwarmKey } from '../node/libp2p/swarm-key.js'
import type { Enrolments } from '../node/mesh/enrolments.js'
import type { Mesh } from '../node/mesh/mesh.js'
import type { PeerRegistry } from '../node/mesh/peer-registry.js'
import { buildMeshStack, memoryEnrolmentRepository } from '../node/mesh-stack.js'
import { createClient } from '../client/control-client.js'
import { jsonStream } from '../protocols/codec.js'
import { percentile, type BenchFigure } from './report.js'

const CONNECT_SAMPLES = 60
const ROUND_TRIPS = 300
const DIAL_TIMEOUT_MS = 3_000
const ECHO_PROTOCOL = '/trustmesh/bench-echo/1.0.0'
const MIB = 1024 * 1024

interface BenchNode {
  org: Ed25519Signer
  peerId: string
  libp2p: MeshLibp2p
  mesh: Mesh
  registry: PeerRegistry
  enrolments: Enrolments
  addr: string
  echoServed: number
  connectionsOpened: number
  stop: () => Promise<void>
}

async function benchNode (orgName: string, swarmKey: Uint8Array): Promise<BenchNode> {
  const org = Ed25519Signer.generate()
  const privateKey = await libp2pPrivateKeyFromSeed(Ed25519Signer.generate().exportSeed())
  const peerId = peerIdStringFromPublicKey(privateKey.publicKey.raw)
  const nodeCredential = await issueNodeCredential(org, { peerId, orgName }, { clock: systemClock, ttlSeconds: 3600 })
  const { libp2p, mesh, registry, enrolments } = await buildMeshStack({
    privateKey,
    swarmKey,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    orgDid: org.did,
    enrolments: memoryEnrolmentRepository(),
    clock: systemClock,
    logger: silentLogger(),
    dialTimeoutMs: DIAL_TIMEOUT_MS,
    localHello: () => ({ v: 1, nodeCredential, orgName, software: 'trustmesh-bench', policyDigest: 'sha256:bench' })
  })
  await mesh.start()
  const node: BenchNode = {
    org, peerId, libp2p, mesh, registry, enrolments, addr: libp2p.getMultiaddrs()[0].toString(), echoServed: 0, connectionsOpened: 0,
    stop: async () => { await mesh.stop(); await libp2p.stop() }
  }
  libp2p.addEventListener('connection:open', () => { node.connectionsOpened++ })
  await mesh.handle(ECHO_PROTOCOL, async (stream) => {
    node.echoServed++
    const js = jsonStream(stream, 4096)
    const msg = await js.read(v => ({ ok: true, value: v }))
    await js.write(msg)
    await stream.close()
  })
  return node
}

async function until (check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`B4/B6: timed out waiting for ${what}`)
    await new Promise(resolve => setImmediate(resolve))
  }
}

/** Dial until hello completes on the dialler's side; returns [dial+upgrade ms, dial+upgrade+hello ms]. */
async function connectOnce (a: BenchNode, b: BenchNode): Promise<{ upgrade: number, hello: number, conn: Connection }> {
  const verified = new Promise<void>(resolve => {
    const off = a.mesh.onPeerVerified(p => { if (p.peerId === b.peerId) { off(); resolve() } })
  })
  const t0 = performance.now()
  const conn = await a.libp2p.dial(multiaddr(b.addr), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
  const upgrade = performance.now() - t0
  await Promise.race([verified, new Promise((_resolve, reject) => setTimeout(() => { reject(new Error('B4: hello did not complete')) }, DIAL_TIMEOUT_MS).unref())])
  return { upgrade, hello: performance.now() - t0, conn }
}

async function roundTrip (conn: Connection, n: number): Promise<number> {
  const t0 = performance.now()
  const stream = await conn.newStream(ECHO_PROTOCOL, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
  const js = jsonStream(stream, 4096)
  await js.write({ task: 'bench/echo', n, payload: 'x'.repeat(200) })
  const reply = await js.read(v => ({ ok: true, value: v as { n: number } }))
  await stream.close()
  if (reply.n !== n) throw new Error('B4: echo mismatch')
  return performance.now() - t0
}

async function b4 (a: BenchNode, b: BenchNode): Promise<BenchFigure[]> {
  await a.enrolments.add({ orgDid: b.org.did }, Date.now())
  await b.enrolments.add({ orgDid: a.org.did }, Date.now())
  const upgrades: number[] = []
  const hellos: number[] = []
  for (let i = 0; i < CONNECT_SAMPLES + 3; i++) {
    const { upgrade, hello, conn } = await connectOnce(a, b)
    if (i >= 3) { upgrades.push(upgrade); hellos.push(hello) } // first dials warm up the JIT
    await conn.close()
    await until(() => b.libp2p.getConnections().length === 0 && a.libp2p.getConnections().length === 0, DIAL_TIMEOUT_MS, 'the connection to close')
  }
  const { conn } = await connectOnce(a, b)
  const rtts: number[] = []
  for (let i = 0; i < ROUND_TRIPS + 20; i++) {
    const ms = await roundTrip(conn, i)
    if (i >= 20) rtts.push(ms)
  }
  await conn.close()
  const p95c = percentile(upgrades, 95)
  const p95h = percentile(hellos, 95)
  const p95r = percentile(rtts, 95)
  return [
    { id: 'B4', what: 'LAN connect p95 (TCP+pnet+Noise+Yamux)', value: `${p95c.toFixed(1)} ms`, target: '< 50 ms', met: p95c < 50, note: `median ${percentile(upgrades, 50).toFixed(1)} ms, n=${upgrades.length}` },
    { id: 'B4', what: 'LAN connect + hello p95', value: `${p95h.toFixed(1)} ms`, target: '< 50 ms', met: p95h < 50, note: `median ${percentile(hellos, 50).toFixed(1)} ms, hello verified on both credentials` },
    { id: 'B4', what: 'request/response round trip p95 (new stream, open connection)', value: `${p95r.toFixed(2)} ms`, target: '< 10 ms', met: p95r < 10, note: `median ${percentile(rtts, 50).toFixed(2)} ms, n=${rtts.length}` }
  ]
}

async function b6 (b: BenchNode, swarmKey: Uint8Array): Promise<BenchFigure[]> {
  // wrong swarm key: enrolled at b, only the key differs
  const m = await benchNode('mallory', parseSwarmKey(formatSwarmKey()))
  const u = await benchNode('unenrolled', swarmKey)
  try {
    await b.enrolments.add({ orgDid: m.org.did }, Date.now())
    const conns0 = b.connectionsOpened
    const served0 = b.echoServed
    let t0 = performance.now()
    let wrongKeyFailed = false
    try {
      await m.libp2p.dial(multiaddr(b.addr), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
    } catch {
      wrongKeyFailed = true
    }
    const wrongKeyMs = performance.now() - t0
    const wrongKeyConns = b.connectionsOpened - conns0

    // unenrolled org: same key, hello refused; any other protocol must not be served
    t0 = performance.now()
    let appStreamRefused = false
    let closedMs = NaN
    try {
      const conn = await u.libp2p.dial(multiaddr(b.addr), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      try {
        const s = await conn.newStream(ECHO_PROTOCOL, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        const js = jsonStream(s, 4096)
        await js.write({ n: 1 })
        await js.read(v => ({ ok: true, value: v }), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      } catch {
        appStreamRefused = true
      }
      await until(() => conn.status !== 'open', DIAL_TIMEOUT_MS, 'b to close the unenrolled connection')
      closedMs = performance.now() - t0
    } catch {
      closedMs = performance.now() - t0
      appStreamRefused = true
    }
    const served = b.echoServed - served0
    const refusedReason = b.registry.isRefused(u.peerId)?.reason ?? 'none'
    return [
      {
        id: 'B6',
        what: 'wrong swarm key: connections / streams at the honest node',
        value: `${wrongKeyConns} / 0, dial failed after ${wrongKeyMs.toFixed(0)} ms`,
        target: `0 streams, refused within the ${DIAL_TIMEOUT_MS} ms dial timeout`,
        met: wrongKeyFailed && wrongKeyConns === 0 && wrongKeyMs <= DIAL_TIMEOUT_MS + 250,
        note: wrongKeyMs < DIAL_TIMEOUT_MS - 100 ? 'failed in the handshake (garbled by the other key)' : 'pnet mismatch did not complete: the dial ended at its timeout'
      },
      {
        id: 'B6',
        what: 'unenrolled org: streams served beyond hello',
        value: `${served}, connection closed after ${closedMs.toFixed(0)} ms`,
        target: `0 streams, refused within the ${DIAL_TIMEOUT_MS} ms dial timeout`,
        met: served === 0 && appStreamRefused && closedMs <= DIAL_TIMEOUT_MS,
        note: `refusal reason ${refusedReason}`
      }
    ]
  } finally {
    await m.stop()
    await u.stop()
  }
}

function rssBytes (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (m == null) throw new Error(`B11: no VmRSS for pid ${pid}`)
  return Number(m[1]) * 1024
}

async function settledRss (proc: ChildProcess, settleMs: number): Promise<number> {
  const deadline = Date.now() + settleMs
  let max = 0
  while (Date.now() < deadline) {
    max = Math.max(max, rssBytes(proc.pid as number))
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  return max
}

async function stopChild (proc: ChildProcess): Promise<void> {
  if (proc.exitCode != null || proc.signalCode != null) return
  const exited = new Promise(resolve => proc.once('exit', resolve))
  proc.kill('SIGTERM')
  const t = setTimeout(() => { proc.kill('SIGKILL') }, 5_000)
  await exited
  clearTimeout(t)
}

async function b11 (): Promise<BenchFigure[]> {
  const cliMain = fileURLToPath(new URL('../cli/main.js', import.meta.url))
  const dir = mkdtempSync('/tmp/tmb11-')
  const env: NodeJS.ProcessEnv = { ...process.env, TRUSTMESH_PASSPHRASE: 'trustmesh-bench-passphrase' }
  delete env.NODE_OPTIONS
  const procs: ChildProcess[] = []
  try {
    const init = spawn(process.execPath, [cliMain, '--data-dir', dir, 'init', '--org-name', 'bench'], { env, stdio: 'ignore' })
    procs.push(init)
    const code = await new Promise(resolve => init.once('exit', resolve))
    if (code !== 0) throw new Error(`B11: trustmesh init exited ${String(code)}`)
    // the V8 flags `npm start` runs a node with: a small young generation, heuristics for size
    const node = spawn(process.execPath, ['--max-semi-space-size=1', '--optimize-for-size', cliMain, '--data-dir', dir, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--log-level', 'warn'], { env, stdio: 'ignore' })
    procs.push(node)
    const client = createClient({ dataDir: dir, timeoutMs: 1_000 })
    const deadline = Date.now() + 20_000
    for (;;) {
      if (node.exitCode != null) throw new Error(`B11: node exited with ${node.exitCode}`)
      if (Date.now() > deadline) throw new Error('B11: node did not answer on its control socket')
      try { await client.request('GET', '/v1/status'); break } catch { await new Promise(resolve => setTimeout(resolve, 100)) }
    }
    const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env, stdio: 'ignore' })
    procs.push(bare)
    const [nodeRss, bareRss] = await Promise.all([settledRss(node, 3_000), settledRss(bare, 3_000)])
    const beyond = nodeRss - bareRss
    return [
      { id: 'B11', what: 'memory: idle node RSS minus a bare `node` process', value: `${(beyond / MIB).toFixed(1)} MiB`, target: '<= 30 MiB', met: beyond <= 30 * MIB, note: `node ${(nodeRss / MIB).toFixed(1)} MiB, bare node ${(bareRss / MIB).toFixed(1)} MiB, same run; idle, 0 peers, settled 3 s, max VmRSS, run as \`npm start\` runs it` }
    ]
  } finally {
    for (const p of procs) await stopChild(p)
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function runB4B6B11 (): Promise<BenchFigure[]> {
  const swarmKey = parseSwarmKey(formatSwarmKey())
  const a = await benchNode('acme', swarmKey)
  const b = await benchNode('globex', swarmKey)
  const figures: BenchFigure[] = []
  try {
    figures.push(...await b4(a, b))
    figures.push(...await b6(b, swarmKey))
  } finally {
    await a.stop()
    await b.stop()
  }
  figures.push(...await b11())
  return figures
}
