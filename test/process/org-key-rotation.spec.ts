/**
 * Org key rotation while partners are connected (DESIGN 14): acme rotates its org key; globex, connected,
 * follows the successor record in acme's re-hello and keeps the same connection; initech, offline
 * during the rotation, follows when it next connects; tasks flow under a pre-rotation delegation and
 * under the re-issued root delegation; a NodeCredential newly signed by the retired key is refused
 * with KEY_RETIRED at both partners.
 */
import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { cli, connectedOrgs, nodeStatus, startNode, stopAllNodes, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'
import { partnerReadPolicy, startExampleAgent, stopExampleAgents } from './example-agents.js'

const POLICY = partnerReadPolicy('rotation-test')


async function ok<T = unknown> (dir: string, args: string[]): Promise<T> {
  const r = await cli(dir, ['--json', ...args], { timeoutMs: 60_000 })
  expect(r.code, `trustmesh ${args.join(' ')}: ${r.stderr}`).to.equal(0)
  return r.json<T>()
}

interface Peer { orgDid: string, since: string }

describe('org key rotation with connected and offline partners, real node processes', function () {
  this.timeout(150_000)
  let orgs: OrgTemplates
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex', 'initech'])
  })
  afterEach(async () => { await stopExampleAgents(); await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup() })

  it('a task in flight completes; globex follows on the same connection, initech on reconnect; tasks flow; the retired key is refused', async () => {
    const dirs = (['acme', 'globex', 'initech'] as const).map(o => { const d = orgs.copy(o); writeFileSync(`${d}/policy.yaml`, POLICY); return d })
    const [a, b]: NodeProcess[] = await Promise.all([startNode(dirs[0]), startNode(dirs[1])])
    const oldDid = a.orgDid
    await Promise.all([ok(a.dir, ['peer', 'add', b.orgDid, '--addr', b.addr]), ok(b.dir, ['peer', 'add', oldDid, '--addr', a.addr])])
    await waitUntil(async () => (await connectedOrgs(b.dir)).includes(oldDid) && (await connectedOrgs(a.dir)).includes(b.orgDid), 20_000, 'acme and globex to connect')
    await ok(a.dir, ['agent', 'create', 'alice', '--ring', '2', '--can', 'records/read'])
    const dave = await ok<{ did: string }>(a.dir, ['agent', 'create', 'dave', '--ring', '2', '--can', 'records/read'])
    const erin = await ok<{ did: string }>(a.dir, ['agent', 'create', 'erin', '--ring', '2', '--can', 'records/read'])
    const bob = await ok<{ did: string }>(b.dir, ['agent', 'create', 'bob', '--ring', '2', '--can', 'reports/write'])
    await startExampleAgent(a.dir, 'dave')
    await startExampleAgent(a.dir, 'erin', { args: ['--delay-ms', '4000'] }) // holds its task across the rotation
    const g1 = await ok<{ cid: string }>(a.dir, ['delegation', 'grant', '--from', 'alice', '--to', bob.did, '--can', 'records/read', '--with', `tm:${oldDid}/records`, '--ttl', '1h'])
    const send = async (resource: string, proof: string, to = dave.did): Promise<{ outcome: string, code: string, reason?: string }> => {
      const r = await cli(b.dir, ['--json', 'task', 'send', '--timeout', '20000', '--as', 'bob', '--to', to, '--can', 'records/read', '--with', resource, '--args', '{}', '--proof', proof], { timeoutMs: 40_000 })
      return r.json()
    }
    expect((await send(`tm:${oldDid}/records/1`, g1.cid)).outcome).to.equal('ok')
    const before = ((await nodeStatus(b.dir)) as unknown as { connectedPeers: Peer[] }).connectedPeers.find(p => p.orgDid === oldDid)

    // a task in flight at erin (she answers after 4 s) while the org key rotates
    const inflight = send(`tm:${oldDid}/records/9`, g1.cid, erin.did)
    await waitUntil(async () => ((await ok<Array<{ direction: string, outcome?: string }>>(a.dir, ['task', 'list'])).some(t => t.direction === 'received')), 10_000, 'the task to reach acme')
    const rot = await ok<{ oldDid: string, newDid: string, reissued: { agents: number } }>(a.dir, ['identity', 'rotate'])
    expect(rot.oldDid).to.equal(oldDid)
    expect(rot.newDid).to.not.equal(oldDid)
    expect(rot.reissued.agents).to.equal(3)
    const held = await inflight
    expect(held.outcome, `the task in flight across the rotation: ${JSON.stringify(held)}`).to.equal('ok')
    const newDid = rot.newDid

    // globex follows the successor record in acme's re-hello, on the same connection
    await waitUntil(async () => (await connectedOrgs(b.dir)).includes(newDid), 15_000, 'globex to see acme under its new DID')
    const after = ((await nodeStatus(b.dir)) as unknown as { connectedPeers: Peer[] }).connectedPeers.find(p => p.orgDid === newDid)
    expect(after?.since, 'the same connection').to.equal(before?.since)
    expect((await ok<Array<{ orgDid: string }>>(b.dir, ['peer', 'list'])).map(p => p.orgDid)).to.include(newDid)
    expect(b.logs()).to.match(/following its successor/)
    const audit = await cli(b.dir, ['--json', 'audit', 'show'])
    expect(audit.stdout).to.include('successor')

    // a task under the pre-rotation delegation still runs; so does one under the re-issued root
    const pre = await send(`tm:${oldDid}/records/2`, g1.cid)
    expect(pre.outcome, JSON.stringify(pre)).to.equal('ok')
    const g2 = await ok<{ cid: string }>(a.dir, ['delegation', 'grant', '--from', 'alice', '--to', bob.did, '--can', 'records/read', '--with', `tm:${newDid}/records`, '--ttl', '1h'])
    const post = await send(`tm:${newDid}/records/3`, g2.cid)
    expect(post.outcome, JSON.stringify(post)).to.equal('ok')

    // initech was offline during the rotation: it enrolled the old DID and follows when it connects
    const c = await startNode(dirs[2])
    await ok(c.dir, ['peer', 'add', oldDid, '--addr', a.addr])
    await ok(a.dir, ['peer', 'add', c.orgDid, '--addr', c.addr])
    await waitUntil(async () => (await connectedOrgs(c.dir)).includes(newDid), 20_000, 'initech to follow acme to its new DID')

    // the retired key runs a node again (its identity restored): both partners refuse its NodeCredential
    const idFile = JSON.parse(readFileSync(`${a.dir}/identity.json`, 'utf8')) as Record<string, unknown>
    await stopExampleAgents()
    await a.stop()
    writeFileSync(`${a.dir}/identity.json`, JSON.stringify({ ...idFile, orgDid: oldDid, orgKey: 'org', previousOrgDids: [] }))
    const stale = await startNode(a.dir, { listen: `/ip4/127.0.0.1/tcp/${a.port}` })
    expect(stale.orgDid).to.equal(oldDid)
    await waitUntil(() => /code=KEY_RETIRED/.test(b.logs()) || /KEY_RETIRED/.test(stale.logs()), 30_000, 'globex to refuse the retired key')
    await waitUntil(() => /code=KEY_RETIRED/.test(c.logs()) || /KEY_RETIRED/.test(stale.logs()), 30_000, 'initech to refuse the retired key')
    expect(await connectedOrgs(b.dir)).to.not.include(oldDid)
    expect(await connectedOrgs(c.dir)).to.not.include(oldDid)
  })
})
