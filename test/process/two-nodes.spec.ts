/**
 * Two real node processes on loopback (DESIGN 11): enrolment and hello, wrong swarm key, unenrolled
 * org, `peer remove`, restart, clean SIGINT, a CLI without a node, two processes on one data
 * directory, and bad CLI input. Every node is started with `--no-mdns` and killed in afterEach.
 */
import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { PROMISES, cli, connectedOrgs, nodeStatus, startNode, stopAllNodes, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

interface PeerView { orgDid: string, connected: boolean }

/** Default dial timeout of a node (node/mesh/mesh.ts). */
const DIAL_TIMEOUT_MS = PROMISES.dialMs
/** How late a timer may fire on a loaded machine: a dial aborted by its timeout is logged that much after. */
const TIMER_LAG_MS = 1_000

/**
 * Milliseconds from each `dialling addr=X` line of a node's log to the next `dial failed addr=X` line,
 * by the log's own timestamps (the text format starts every line with an ISO time).
 */
function dialDurations (logs: string): number[] {
  const started = new Map<string, number>()
  const out: number[] = []
  for (const line of logs.split('\n')) {
    const m = /^(\S+) \S+\s+\S+ (dialling|dial failed) .*?addr=(\S+)/.exec(line)
    if (m == null) continue
    const at = Date.parse(m[1])
    if (m[2] === 'dialling') started.set(m[3], at)
    else if (started.has(m[3])) { out.push(at - (started.get(m[3]) ?? at)); started.delete(m[3]) }
  }
  return out
}
/** What the mesh promises for (re)connecting a reachable partner, with room for one lost attempt. */
const CONNECT_TIMEOUT_MS = PROMISES.reconnectMs

async function peerList (dir: string): Promise<PeerView[]> {
  const r = await cli(dir, ['--json', 'peer', 'list'])
  expect(r.code, r.stderr).to.equal(0)
  return r.json<PeerView[]>()
}

async function enrol (at: NodeProcess, other: NodeProcess, withAddr = true): Promise<void> {
  const r = await cli(at.dir, ['--json', 'peer', 'add', other.orgDid, ...(withAddr ? ['--addr', other.addr] : [])])
  expect(r.code, r.stderr).to.equal(0)
}

async function waitConnected (a: NodeProcess, b: NodeProcess): Promise<void> {
  await waitUntil(async () => (await connectedOrgs(a.dir)).includes(b.orgDid) && (await connectedOrgs(b.dir)).includes(a.orgDid), CONNECT_TIMEOUT_MS, `${a.orgName} and ${b.orgName} to connect`)
}

function countMatches (text: string, re: RegExp): number {
  return text.split('\n').filter(l => re.test(l)).length
}

describe('two node processes on loopback', function () {
  // a test may wait for two (re)connects on a busy machine, plus node start-ups
  this.timeout(Math.max(60_000, 3 * PROMISES.reconnectMs))
  let orgs: OrgTemplates
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex', 'mallory'])
  })
  afterEach(async () => { await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup() })

  async function connectedPair (acmeArgs: string[] = []): Promise<[NodeProcess, NodeProcess]> {
    const [a, b] = await Promise.all([startNode(orgs.copy('acme'), { extraArgs: acmeArgs }), startNode(orgs.copy('globex'))])
    await Promise.all([enrol(a, b), enrol(b, a)])
    await waitConnected(a, b)
    return [a, b]
  }

  it('enrolled orgs connect and complete hello; `peer list` shows connected on both sides', async () => {
    const [a, b] = await connectedPair()
    const [la, lb] = await Promise.all([peerList(a.dir), peerList(b.dir)])
    expect(la).to.have.length(1)
    expect(la[0]).to.include({ orgDid: b.orgDid, connected: true })
    expect(lb[0]).to.include({ orgDid: a.orgDid, connected: true })
    const s = await cli(a.dir, ['--json', 'node', 'status'])
    expect(s.json<{ connectedPeers: Array<{ orgName: string }> }>().connectedPeers.map(p => p.orgName)).to.deep.equal(['globex'])
  })

  it('a node with another swarm key never gets a connection; its dials fail within the dial timeout', async () => {
    const [a, m] = await Promise.all([startNode(orgs.copy('acme')), startNode(orgs.copy('mallory'), { extraArgs: ['--log-level', 'debug'] })])
    // both sides enrol each other: only the swarm key differs
    await Promise.all([enrol(a, m), enrol(m, a)])
    await waitUntil(() => countMatches(m.logs(), /dial failed.*addr=\/ip4\/127\.0\.0\.1/) >= 1, PROMISES.reconnectMs + DIAL_TIMEOUT_MS, 'mallory\'s dial to fail')
    // timed by mallory's own log (the dial attempt and its refusal), not by CLI start-up on a busy machine
    const took = dialDurations(m.logs())
    expect(took.length, 'a dial attempt and its failure in mallory\'s log').to.be.at.least(1)
    expect(took[0], 'refused within the dial timeout (plus timer lag)').to.be.lessThan(DIAL_TIMEOUT_MS + TIMER_LAG_MS)
    expect(await connectedOrgs(a.dir)).to.deep.equal([])
    expect(await connectedOrgs(m.dir)).to.deep.equal([])
    expect((await peerList(a.dir))[0].connected).to.equal(false)
    expect(a.logs()).to.not.match(/peer verified/)
  })

  it('an unenrolled org is refused by hello and the reason appears in the refusing node\'s log', async () => {
    const [a, b] = await Promise.all([startNode(orgs.copy('acme')), startNode(orgs.copy('globex'))])
    await enrol(a, b) // globex never enrols acme
    await waitUntil(() => /hello refused.*ORG_NOT_ENROLLED/.test(b.logs()), CONNECT_TIMEOUT_MS, 'globex to refuse acme')
    expect(b.logs()).to.match(new RegExp(`hello refused peer=${a.peerId} code=ORG_NOT_ENROLLED`))
    expect(await connectedOrgs(a.dir)).to.deep.equal([])
    expect(await connectedOrgs(b.dir)).to.deep.equal([])
    expect((await peerList(a.dir))[0].connected).to.equal(false)
  })

  it('`peer remove` cuts the connection at once and later dials are refused', async () => {
    const [a, b] = await connectedPair(['--log-level', 'debug'])
    const before = a.logs().length
    const r = await cli(b.dir, ['--json', 'peer', 'remove', a.orgDid])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.json<{ disconnectedNodes: number }>().disconnectedNodes).to.equal(1)
    await waitUntil(async () => (await connectedOrgs(a.dir)).length === 0, 5_000, 'acme to see the connection closed')
    expect((await peerList(a.dir))[0]).to.include({ orgDid: b.orgDid, connected: false })
    expect(await peerList(b.dir)).to.deep.equal([])
    // acme still has globex enrolled and keeps redialling: wait for a redial to fail, then check again
    await waitUntil(() => /dial failed|peer refused our hello|hello failed/.test(a.logs().slice(before)), 20_000, 'a later dial from acme to be refused')
    expect(await connectedOrgs(a.dir)).to.deep.equal([])
    expect(await connectedOrgs(b.dir)).to.deep.equal([])
  })

  it('a restart keeps org DID, PeerId and enrolments, and reconnects', async () => {
    const [a, b] = await connectedPair()
    const stopped = await a.stop('SIGTERM')
    expect(stopped.code).to.equal(0)
    await waitUntil(async () => (await connectedOrgs(b.dir)).length === 0, PROMISES.helloMs, 'globex to see acme gone')
    const a2 = await startNode(a.dir, { listen: `/ip4/127.0.0.1/tcp/${a.port}` })
    expect(a2.orgDid).to.equal(a.orgDid)
    expect(a2.peerId).to.equal(a.peerId)
    expect((await peerList(a2.dir)).map(p => p.orgDid)).to.deep.equal([b.orgDid])
    await waitConnected(a2, b)
  })

  it('SIGINT stops the node cleanly: exit code 0 and the control socket removed', async () => {
    const a = await startNode(orgs.copy('acme'))
    expect(existsSync(`${a.dir}/control.sock`)).to.equal(true)
    const r = await a.stop('SIGINT')
    expect(r).to.deep.equal({ code: 0, signal: null })
    expect(existsSync(`${a.dir}/control.sock`)).to.equal(false)
    expect(a.logs()).to.match(/node stopped/)
  })

  it('a CLI command with no node running exits 1 and says how to start one', async () => {
    const dir = orgs.copy('acme')
    const r = await cli(dir, ['peer', 'list'])
    expect(r.code).to.equal(1)
    expect(r.stderr).to.include('start one with')
    expect(r.stderr.trim().split('\n')).to.have.length(1)
  })

  it('a second `node start` on the same data directory fails naming it and does not disturb the first', async () => {
    const a = await startNode(orgs.copy('acme'))
    const second = await cli(a.dir, ['node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'], { timeoutMs: 20_000 })
    expect(second.code).to.equal(1)
    expect(second.stderr).to.include(a.dir)
    expect(second.stderr).to.match(/STORE_LOCKED|in use/)
    expect(second.stderr).to.not.match(/\n\s+at /)
    expect(a.proc.exitCode).to.equal(null)
    expect(existsSync(`${a.dir}/control.sock`)).to.equal(true)
    const s = await nodeStatus(a.dir)
    expect(s?.peerId).to.equal(a.peerId)
  })

  it('bad CLI input gives exit code 2 or 1 with one line on stderr and no stack trace', async () => {
    const a = await startNode(orgs.copy('acme'))
    const cases = [
      ['peer', 'add', 'not-a-did'],
      ['peer', 'add', orgs.did('globex'), '--max-ring', '7'],
      ['peer', 'add', orgs.did('globex'), '--addr', '/dns4/example.com/tcp/1']
    ]
    const results = await Promise.all(cases.map(async c => await cli(a.dir, c)))
    results.forEach((r, i) => {
      const what = cases[i].join(' ')
      expect([1, 2], `${what}: exit code`).to.include(r.code)
      expect(r.stderr.trim().split('\n'), `${what}: stderr ${r.stderr}`).to.have.length(1)
      expect(r.stderr, what).to.match(/^trustmesh: /)
      expect(r.stderr, what).to.not.match(/\bat .*\.js:\d+/)
      expect(r.stderr, what).to.not.include('start one with')
      expect(r.stdout, what).to.equal('')
    })
    expect(await peerList(a.dir)).to.deep.equal([])
  })
})
