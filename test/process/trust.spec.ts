/**
 * Trust across real node processes (issue 7): five orgs on loopback, one whose agent keeps failing
 * drops in score at every other node within a bounded time (first-hand at the invoker, through signed
 * attestations elsewhere) and recovers to neutral when those attestations expire; forged and
 * self-issued attestations are rejected and count against the node that sent them.
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createClient } from '../../client/control-client.js'
import { cli, connectedOrgs, initOrg, nodeStatus, removeDir, startNode, stopAllNodes, tempDir, waitUntil, TEST_PASSPHRASE, type NodeProcess } from '../helpers/node-process.js'

const AGENT_MAIN = fileURLToPath(new URL('../../scripts/example-agent.js', import.meta.url))
const ROGUE_MAIN = fileURLToPath(new URL('../node/services/trust/rogue-node.js', import.meta.url))
/** Fast trust rounds so the test runs in seconds: publish every 300 ms, attestations live 4 s. */
const TRUST_ENV = { TRUSTMESH_TRUST_INTERVAL_MS: '300', TRUSTMESH_TRUST_TTL_S: '4' }
const NEUTRAL = 350
const ORGS = ['acme', 'globex', 'initech', 'hooli', 'umbrella', 'mallory'] as const
type Org = typeof ORGS[number]

interface ShowView { score: number, tier: string, local?: { counts: Record<string, number>, score: number }, opinions: Array<{ witness: string, kind: string, score: number, moved: number, evidence: Record<string, number> }>, evidence: Array<{ outcome: string, policyViolation?: boolean }> }

describe('trust across node processes', function () {
  this.timeout(90_000)
  let root: string
  const copies: string[] = []
  const extra = new Set<ChildProcess>()

  const copy = (org: Org): string => {
    const dir = tempDir(org.slice(0, 2))
    cpSync(`${root}/${org}`, dir, { recursive: true })
    copies.push(dir)
    return dir
  }
  const ok = async (dir: string, args: string[]): Promise<ReturnType<typeof cli> extends Promise<infer R> ? R : never> => {
    const r = await cli(dir, args, { timeoutMs: 40_000 })
    if (r.code !== 0) throw new Error(`trustmesh ${args.join(' ')} exited ${String(r.code)}: ${r.stderr}`)
    return r
  }
  const api = (dir: string): ReturnType<typeof createClient> => createClient({ dataDir: dir, timeoutMs: 10_000 })
  /** `trust show` through the CLI (what operators run). */
  const show = async (dir: string, did: string): Promise<ShowView> => (await ok(dir, ['--json', 'trust', 'show', did])).json<ShowView>()
  /** The same view through the control API, for polling without a CLI process per poll. */
  const view = async (dir: string, did: string): Promise<ShowView> => await api(dir).request<ShowView>('GET', `/v1/trust/${encodeURIComponent(did)}`)
  const spawnTracked = (args: string[]): { proc: ChildProcess, output: () => string } => {
    const proc = spawn(process.execPath, args, { env: { ...process.env, TRUSTMESH_PASSPHRASE: TEST_PASSPHRASE, ...TRUST_ENV }, stdio: ['ignore', 'pipe', 'pipe'] })
    extra.add(proc)
    let out = ''
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d })
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => { out += d })
    return { proc, output: () => out }
  }
  const enrolPairwise = async (nodes: NodeProcess[]): Promise<void> => {
    // through the control API (the CLI's own path is covered by the peer tests): twenty CLI processes starve two cores
    await Promise.all(nodes.flatMap(n => nodes.filter(o => o !== n).map(async o => {
      await api(n.dir).request('POST', '/v1/peers', { orgDid: o.orgDid, addrs: [o.addr] })
    })))
    await waitUntil(async () => (await Promise.all(nodes.map(async n => (await connectedOrgs(n.dir)).length))).every(c => c === nodes.length - 1), 30_000, 'every node to connect to every other')
  }

  before(async function () {
    this.timeout(120_000)
    root = tempDir('tmtr')
    await initOrg(`${root}/acme`, 'acme')
    await Promise.all(ORGS.filter(o => o !== 'acme').map(async o => await initOrg(`${root}/${o}`, o, { swarmKeyFrom: `${root}/acme` })))
  })
  afterEach(async () => {
    await Promise.all([...extra].map(async p => {
      if (p.exitCode != null || p.signalCode != null) return
      const done = new Promise(resolve => p.once('exit', resolve))
      p.kill('SIGKILL')
      await done
    }))
    extra.clear()
    await stopAllNodes()
    for (const d of copies.splice(0)) removeDir(d)
  })
  after(() => { if (root != null) removeDir(root) })

  it('five orgs: one whose tasks keep failing drops at every other node within a bounded time, and expired attestations stop counting', async () => {
    const nodes = await Promise.all((['acme', 'globex', 'initech', 'hooli', 'umbrella'] as const).map(async o => await startNode(copy(o), { env: TRUST_ENV })))
    const [a, b, c, d, e] = nodes
    await enrolPairwise(nodes)
    // the other orgs' operators count acme's word: it is in their pre-trusted set
    await Promise.all([b, c, d].map(async n => await ok(n.dir, ['--json', 'peer', 'trust', a.orgDid])))
    const alice = (await ok(a.dir, ['--json', 'agent', 'create', 'alice', '--ring', '2', '--can', 'records/read'])).json<{ did: string }>().did
    const erin = (await ok(e.dir, ['--json', 'agent', 'create', 'erin', '--ring', '2', '--can', 'records/read'])).json<{ did: string }>().did
    const agent = spawnTracked([AGENT_MAIN, '--data-dir', e.dir, '--agent', 'erin', '--can', 'records/read', '--fail'])
    await waitUntil(() => agent.output().includes('is serving'), 10_000, 'the failing example agent to serve')
    await waitUntil(async () => (await cli(e.dir, ['--json', 'delegation', 'grant', '--from', 'erin', '--to', alice, '--can', 'records/read', '--with', `tm:${e.orgDid}/records`, '--ttl', '1h'])).code === 0, 15_000, 'umbrella to grant alice records/read')

    // before any task, umbrella is probationary everywhere
    for (const n of [a, b, c, d]) expect((await view(n.dir, e.orgDid)).score, n.orgName).to.equal(NEUTRAL)
    const TASKS = 5
    for (let i = 0; i < TASKS; i++) {
      const r = await cli(a.dir, ['--json', 'task', 'send', '--as', 'alice', '--to', erin, '--can', 'records/read', '--with', `tm:${e.orgDid}/records/${i}`, '--args', '{}'])
      expect(r.json<{ outcome: string, code: string }>(), r.stderr).to.include({ outcome: 'error', code: 'EXAMPLE_FAILURE' })
    }
    const t0 = Date.now()
    // first hand at acme, through acme's signed attestations at globex, initech and hooli
    await waitUntil(async () => (await Promise.all([a, b, c, d].map(async n => (await view(n.dir, e.orgDid)).score))).every(s => s < NEUTRAL), 15_000, 'umbrella to drop below neutral at every other node')
    const bounded = Date.now() - t0
    const atA = await show(a.dir, e.orgDid)
    expect(atA.local?.counts).to.deep.equal({ ok: 0, error: TASKS, denied: 0, timeout: 0 })
    expect(atA.evidence.filter(x => x.outcome === 'error')).to.have.length(TASKS)
    expect((await view(a.dir, erin)).score, 'the agent too').to.be.below(NEUTRAL)
    await waitUntil(async () => (await view(b.dir, e.orgDid)).opinions.some(o => o.evidence.error === TASKS), 10_000, 'globex to hold acme\'s attestation of all five failures')
    const atB = await show(b.dir, e.orgDid)
    expect(atB.local, 'globex has no first-hand evidence').to.equal(undefined)
    expect(atB.opinions).to.have.length(1)
    expect(atB.opinions[0]).to.include({ witness: a.orgDid, kind: 'attestation', score: atA.local?.score })
    expect(atB.opinions[0].moved).to.be.below(0)
    const explain = (await ok(b.dir, ['--json', 'trust', 'explain', e.orgDid])).json<{ preTrusted: Array<{ did: string }> }>()
    expect(explain.preTrusted.map(p => p.did)).to.have.members([b.orgDid, a.orgDid])
    const list = (await ok(c.dir, ['--json', 'trust', 'list'])).json<Array<{ did: string, score: number }>>()
    expect(list[list.length - 1].did, 'umbrella ranks last at initech').to.equal(e.orgDid)
    expect(bounded).to.be.below(15_000)

    // acme goes away: its attestations are no longer refreshed and stop counting when they expire (4 s)
    await a.stop()
    await waitUntil(async () => (await Promise.all([b, c, d].map(async n => await view(n.dir, e.orgDid)))).every(v => v.score === NEUTRAL && v.opinions.length === 0), 15_000, 'acme\'s expired attestations to stop counting')
  })

  it('a forged or self-issued attestation is rejected and counts against the node that sent it', async () => {
    const a = await startNode(copy('acme'), { env: TRUST_ENV })
    const b = await startNode(copy('globex'), { env: TRUST_ENV })
    const mDir = copy('mallory')
    const rogue = spawnTracked([ROGUE_MAIN, mDir, '/ip4/127.0.0.1/tcp/0'])
    await waitUntil(async () => {
      if (rogue.proc.exitCode != null) throw new Error(`rogue node exited: ${rogue.output()}`)
      return ((await nodeStatus(mDir))?.listen.length ?? 0) > 0
    }, 30_000, 'the rogue node to start')
    const ms = await nodeStatus(mDir)
    const listen = ms?.listen.find(x => x.startsWith('/ip4/127.0.0.1/')) ?? ''
    const m = { dir: mDir, orgDid: ms?.orgDid ?? '', addr: listen.includes('/p2p/') ? listen : `${listen}/p2p/${ms?.peerId ?? ''}` }
    await enrolPairwise([a, b, m as NodeProcess])
    const rogueApi = createClient({ dataDir: mDir })
    const misbehaviour = async (dir: string): Promise<number> => ((await nodeStatus(dir)) as unknown as { trust?: { misbehaviour?: Record<string, number> } } | undefined)?.trust?.misbehaviour?.[m.orgDid] ?? 0
    // mallory claims globex praises mallory (signed with mallory's key), and praises itself
    await waitUntil(async () => {
      for (const kind of ['forged', 'self'] as const) await rogueApi.request('POST', '/v1/test/forge', { kind, claimIssuer: b.orgDid, subject: m.orgDid }).catch(() => undefined)
      return (await misbehaviour(a.dir)) >= 2 && (await misbehaviour(b.dir)) >= 1
    }, 20_000, 'acme and globex to reject mallory\'s attestations')
    const atA = await show(a.dir, m.orgDid)
    // the only attestations about mallory are honest reports of its misbehaviour (globex's), never the forged praise
    expect(atA.opinions.filter(o => o.kind === 'attestation' && (o.score >= NEUTRAL || o.witness !== b.orgDid)), 'nothing forged counts').to.deep.equal([])
    expect(atA.evidence.filter(x => x.policyViolation === true).length).to.be.at.least(2)
    expect(atA.score).to.be.below(NEUTRAL)
    const peers = await createClient({ dataDir: a.dir }).request<Array<{ orgDid: string, gossipScore: number | null }>>('GET', '/v1/trust/peers')
    expect(peers.find(p => p.orgDid === m.orgDid)?.gossipScore, 'gossipsub penalises the sender').to.be.below(0)
    expect((await show(a.dir, b.orgDid)).evidence, 'globex is not blamed').to.deep.equal([])
  })
})
