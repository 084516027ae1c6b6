/**
 * Air gap proven (DESIGN 3): a real node process runs with scripts/net-recorder preloaded, which logs
 * every outbound connect, DNS call, UDP send, http request and fetch. After enrolment and a completed
 * hello, every TCP target is a configured loopback peer, there is no DNS lookup and no UDP (mDNS off);
 * with mDNS on, UDP goes only to 224.0.0.251:5353. A last case runs two nodes in a fresh network
 * namespace with only loopback (`unshare -n`), skipped with the reason when that is unavailable.
 * With the agent edges on (`mcp`, `a2a serve`, `a2a forward`, each recorded), a task crosses the
 * edges end to end and the edges reached nothing but their node's agent.sock and, for `a2a forward`,
 * the loopback A2A server it was given.
 */
import { expect } from 'chai'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { NetRecord } from '../../scripts/net-recorder.js'
import { PROMISES, agentOf, cli, connectedOrgs, registerAgent, startNode, stopAllNodes, tempDir, removeDir, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { startA2ATestServer } from '../helpers/a2a-server.js'
import { startEdge, stopEdges, sendA2A, mcpCall, PARTNER_READ_POLICY } from './edge-helpers.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

const RECORDER = fileURLToPath(new URL('../../scripts/net-recorder.js', import.meta.url))

function recorderEnv (file: string): NodeJS.ProcessEnv {
  return { NODE_OPTIONS: `--import ${RECORDER}`, TRUSTMESH_NET_RECORD: file }
}

function readRecords (file: string): NetRecord[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(l => l !== '').map(l => JSON.parse(l) as NetRecord)
}

/** DNS calls that would ask a resolver (an IP literal is answered by Node itself, e.g. in listen/bind). */
function nameLookups (recs: NetRecord[]): NetRecord[] {
  return recs.filter(r => r.kind === 'dns' && r.ipLiteral !== true)
}

/** Only `a` is given the other's address, so the recorded node (`a`) is the one that dials. */
async function enrolBoth (a: NodeProcess, b: NodeProcess): Promise<void> {
  const rs = await Promise.all([
    cli(a.dir, ['--json', 'peer', 'add', b.orgDid, '--addr', b.addr]),
    cli(b.dir, ['--json', 'peer', 'add', a.orgDid])
  ])
  for (const r of rs) expect(r.code, r.stderr).to.equal(0)
  await waitUntil(async () => (await connectedOrgs(a.dir)).includes(b.orgDid) && (await connectedOrgs(b.dir)).includes(a.orgDid), PROMISES.reconnectMs, 'the two nodes to connect')
}

describe('air gap: a node reaches nothing but its LAN peers', function () {
  this.timeout(60_000)
  let orgs: OrgTemplates
  let recDir: string
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex'])
    recDir = tempDir('tmr')
  })
  afterEach(async () => { await stopEdges(); await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup(); if (recDir != null) removeDir(recDir) })

  it('the recorder itself sees TCP connects, DNS lookups, UDP sends and fetch (so an empty record means something)', async () => {
    const file = `${recDir}/self.jsonl`
    const script = [
      "const net = require('node:net'); const dns = require('node:dns'); const dgram = require('node:dgram')",
      "net.connect(9, '127.0.0.1').on('error', () => {})",
      "dns.lookup('example.invalid', () => {})",
      "const u = dgram.createSocket('udp4'); u.send(Buffer.from('x'), 9, '127.0.0.1', () => u.close())",
      "fetch('http://127.0.0.1:9/').catch(() => {})"
    ].join(';')
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, ...recorderEnv(file) }, stdio: 'ignore' })
    await new Promise(resolve => child.once('exit', resolve))
    const recs = readRecords(file)
    const kinds = new Set(recs.map(r => r.kind))
    for (const k of ['tcp', 'dns', 'udp', 'fetch']) expect(kinds, JSON.stringify(recs)).to.include(k)
    expect(nameLookups(recs).map(r => r.target)).to.deep.equal(['example.invalid'])
  })

  it('with mDNS off: only TCP to the configured loopback peer, no DNS, no UDP, no http', async () => {
    const file = `${recDir}/off.jsonl`
    const [a, b] = await Promise.all([startNode(orgs.copy('acme'), { env: recorderEnv(file) }), startNode(orgs.copy('globex'))])
    await enrolBoth(a, b)
    expect((await a.stop('SIGTERM')).code).to.equal(0)
    const recs = readRecords(file).filter(r => r.pid === a.proc.pid)
    const tcp = recs.filter(r => r.kind === 'tcp')
    expect(tcp.length, 'acme dialled its enrolled peer at least once').to.be.greaterThan(0)
    for (const r of tcp) expect({ host: r.host, port: r.port }, JSON.stringify(r)).to.deep.equal({ host: '127.0.0.1', port: b.port })
    for (const r of recs.filter(r => r.kind === 'unix')) expect(r.path?.startsWith(a.dir + '/'), JSON.stringify(r)).to.equal(true)
    expect(nameLookups(recs), 'DNS lookups of names').to.deep.equal([])
    expect(recs.filter(r => r.kind === 'udp'), 'UDP sends').to.deep.equal([])
    expect(recs.filter(r => r.kind === 'http' || r.kind === 'fetch'), 'http requests').to.deep.equal([])
  })

  it('with mDNS on: UDP only to the mDNS group 224.0.0.251:5353, TCP only to loopback peers, no DNS', async () => {
    const file = `${recDir}/on.jsonl`
    const [a, b] = await Promise.all([startNode(orgs.copy('acme'), { mdns: true, env: recorderEnv(file) }), startNode(orgs.copy('globex'), { mdns: true })])
    await enrolBoth(a, b)
    // mDNS queries at start; wait until the recorder has seen at least one
    await waitUntil(() => readRecords(file).some(r => r.kind === 'udp'), 10_000, 'an mDNS query')
    expect((await a.stop('SIGTERM')).code).to.equal(0)
    const recs = readRecords(file).filter(r => r.pid === a.proc.pid)
    const udp = recs.filter(r => r.kind === 'udp')
    for (const r of udp) expect({ host: r.host, port: r.port }, JSON.stringify(r)).to.deep.equal({ host: '224.0.0.251', port: 5353 })
    const tcp = recs.filter(r => r.kind === 'tcp')
    // with mDNS either side may dial first; whatever acme dialled must be its loopback peer
    // configured or discovered peers: the partner node, listening on loopback only
    for (const r of tcp) expect({ host: r.host, port: r.port }, JSON.stringify(r)).to.deep.equal({ host: '127.0.0.1', port: b.port })
    expect(nameLookups(recs), 'DNS lookups of names').to.deep.equal([])
    expect(recs.filter(r => r.kind === 'http' || r.kind === 'fetch'), 'http requests').to.deep.equal([])
  })

  it('works fully offline in a network namespace with only loopback', async function () {
    const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && ip -o link show | wc -l'], { encoding: 'utf8' })
    if (probe.status !== 0) {
      console.log(`      skipped: unshare -n with ip link set lo up is unavailable here (${(probe.stderr ?? probe.error?.message ?? '').trim().split('\n')[0]})`)
      this.skip()
    }
    expect(probe.stdout.trim(), 'the namespace has only the loopback interface').to.equal('1')
    const a = await startNode(orgs.copy('acme'), { wrap: ['unshare', '-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'tm-netns'] })
    // globex joins acme's namespace (unshare execs, so acme's pid holds the namespace)
    const b = await startNode(orgs.copy('globex'), { wrap: ['nsenter', '-t', String(a.proc.pid), '-n'] })
    const links = spawnSync('nsenter', ['-t', String(a.proc.pid), '-n', 'ip', '-o', 'link', 'show'], { encoding: 'utf8' })
    expect(links.stdout.trim().split('\n').map(l => l.split(':')[1].trim())).to.deep.equal(['lo'])
    await enrolBoth(a, b)
    const list = (await cli(a.dir, ['--json', 'peer', 'list'])).json<Array<{ orgDid: string, connected: boolean }>>()
    expect(list[0]).to.include({ orgDid: b.orgDid, connected: true })
  })

  it('with the agent edges on: MCP, the A2A bridge and forward reach only their node and the loopback A2A server', async () => {
    const file = `${recDir}/edges.jsonl`
    const dirs = [orgs.copy('acme'), orgs.copy('globex')]
    for (const d of dirs) writeFileSync(`${d}/policy.yaml`, PARTNER_READ_POLICY)
    const [a, b] = await Promise.all(dirs.map(async d => await startNode(d)))
    await enrolBoth(a, b)
    const [alice, bob] = await Promise.all([
      registerAgent(a.dir, { name: 'alice', ring: 2, capabilities: ['records/read'] }),
      registerAgent(b.dir, { name: 'bob', ring: 2, capabilities: ['records/read'] })
    ])
    const records = `tm:${b.orgDid}/records`
    const g = await (await agentOf(b.dir, 'bob')).delegate({ to: alice.did, ability: 'records/read', resource: records, ttlSeconds: 3600 })
    expect(g.delivered.ok, g.delivered.message).to.equal(true)
    await waitUntil(async () => (await (await agentOf(a.dir, 'alice')).directory()).some(e => e.did === bob.did), 15_000, 'acme to list bob')
    const server = await startA2ATestServer()
    try {
      const fwd = await startEdge(b.dir, ['a2a', 'forward', '--agent', 'bob', '--key', bob.keyFile, '--to', server.url], recorderEnv(file))
      const bridge = await startEdge<{ url: string }>(a.dir, ['a2a', 'serve', '--agent', 'alice', '--key', alice.keyFile, '--listen', '127.0.0.1:0'], recorderEnv(file))
      const task = await sendA2A(bridge.url, bob.did, { id: 1 }, { ability: 'records/read', resource: `${records}/1` })
      expect((task.metadata?.trustmesh as { code: string }).code).to.equal('OK')
      const mcp = await mcpCall(a.dir, 'alice', alice.keyFile, 'list_agents', {}, recorderEnv(file))
      expect(mcp.isError).to.not.equal(true)
      const serverPort = Number(new URL(server.url).port)
      for (const [proc, dir, tcpOk] of [[bridge.proc, a.dir, []], [fwd.proc, b.dir, [serverPort]]] as const) {
        const recs = readRecords(file).filter(r => r.pid === proc.pid)
        expect(recs.some(r => r.kind === 'unix'), 'the edge talked to its node').to.equal(true)
        for (const r of recs.filter(r => r.kind === 'unix')) expect(r.path, JSON.stringify(r)).to.equal(`${dir}/agent.sock`)
        const sock = `unix:${dir}/agent.sock:`
        for (const r of recs.filter(r => r.kind === 'http' && r.target?.startsWith('unix:') === true)) expect(r.target?.startsWith(sock), JSON.stringify(r)).to.equal(true)
        for (const r of recs.filter(r => r.kind === 'tcp' || ((r.kind === 'http' || r.kind === 'fetch') && r.target?.startsWith('unix:') !== true))) {
          const u = r.kind === 'tcp' ? { host: r.host, port: r.port } : { host: new URL(r.target ?? '').hostname, port: Number(new URL(r.target ?? '').port) }
          expect(u.host, JSON.stringify(r)).to.equal('127.0.0.1')
          expect(tcpOk as readonly number[], JSON.stringify(r)).to.include(u.port)
        }
        expect(nameLookups(recs), 'DNS lookups of names').to.deep.equal([])
        expect(recs.filter(r => r.kind === 'udp'), 'UDP sends').to.deep.equal([])
      }
      const others = readRecords(file).filter(r => r.pid !== bridge.proc.pid && r.pid !== fwd.proc.pid)
      expect(others.length, 'the MCP server was recorded').to.be.greaterThan(0)
      for (const r of others) {
        const ok = (r.kind === 'unix' && r.path === `${a.dir}/agent.sock`) || (r.kind === 'http' && r.target?.startsWith(`unix:${a.dir}/agent.sock:`) === true)
        expect(ok, JSON.stringify(r)).to.equal(true)
      }
    } finally {
      await server.close()
    }
  })
})
