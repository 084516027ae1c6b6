/**
 * `trustmesh agent remove NAME` cuts the agent off across organisations (issue 14, DESIGN.md section 2),
 * with three real node processes: acme (A) hosts alice and the archive agent, globex (B) hosts bob,
 * initech (C) hosts carol. alice delegates records/read to bob, bob re-delegates part of it to carol.
 * Tasks under the chain run; then A removes alice, which revokes her AgentCredential with a record
 * signed by A and gossiped to partners. Every chain through alice is refused: at A (bob's and carol's
 * tasks to the archive) and at C (bob's task to carol, once the gossip has reached C), each with
 * CREDENTIAL_REVOKED; alice herself can no longer send.
 */
import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { cli, connectedOrgs, startNode, stopAllNodes, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'
import { partnerReadPolicy, startExampleAgent, stopExampleAgents } from './example-agents.js'


const TEST_POLICY = partnerReadPolicy('agent-remove-test')

/** How long the revocation may take to reach a partner by gossip (pushed at once; this bounds a busy machine). */
const GOSSIP_WITHIN_MS = 20_000

interface SendReply { id: string, targetOrg: string, outcome: string, code: string, reason?: string, output?: { handledBy?: string } }
interface GrantReply { cid: string, delivered: { ok: boolean, code?: string, message?: string } }

describe('agent remove: every chain through the removed agent is refused at every org (real processes)', function () {
  this.timeout(150_000)
  let orgs: OrgTemplates
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex', 'initech'])
  })
  afterEach(async () => {
    await stopExampleAgents()
    await stopAllNodes()
    orgs.cleanupCopies()
  })
  after(() => { orgs?.cleanup() })

  async function ok<T = unknown> (dir: string, args: string[]): Promise<T> {
    const r = await cli(dir, ['--json', ...args])
    expect(r.code, `trustmesh ${args.join(' ')}: ${r.stderr}`).to.equal(0)
    return r.json<T>()
  }
  async function send (dir: string, args: string[]): Promise<{ code: number | null, reply: SendReply, stderr: string }> {
    const r = await cli(dir, ['--json', 'task', 'send', '--timeout', '20000', ...args], { timeoutMs: 40_000 })
    let reply: SendReply
    try { reply = r.json<SendReply>() } catch { reply = { id: '', targetOrg: '', outcome: 'cli-error', code: '' } }
    return { code: r.code, reply, stderr: r.stderr }
  }
  function expectRevoked (res: { code: number | null, reply: SendReply }, at: NodeProcess, aliceDid: string): void {
    expect(res.code, JSON.stringify(res.reply)).to.equal(1)
    expect([res.reply.outcome, res.reply.code, res.reply.targetOrg], JSON.stringify(res.reply)).to.deep.equal(['denied', 'CREDENTIAL_REVOKED', at.orgDid])
    expect(res.reply.reason).to.include(aliceDid)
  }

  it('A removes alice: bob\'s and carol\'s tasks under alice -> bob (-> carol) are refused at A and at C, and alice\'s own', async () => {
    const dirs = (['acme', 'globex', 'initech'] as const).map(o => { const d = orgs.copy(o); writeFileSync(`${d}/policy.yaml`, TEST_POLICY); return d })
    const [a, b, c]: NodeProcess[] = await Promise.all(dirs.map(async d => await startNode(d)))
    const nodes = [a, b, c]
    await Promise.all(nodes.flatMap(n => nodes.filter(o => o !== n).map(async o => await ok(n.dir, ['peer', 'add', o.orgDid, '--addr', o.addr, '--name', o.orgName]))))
    await waitUntil(async () => (await Promise.all(nodes.map(async n => (await connectedOrgs(n.dir)).length))).every(k => k === 2), 20_000, 'every node to connect to both partners')

    const [alice, archive, bob, carol] = await Promise.all([
      ok<{ did: string }>(a.dir, ['agent', 'create', 'alice', '--ring', '2', '--can', 'records/read']),
      ok<{ did: string }>(a.dir, ['agent', 'create', 'archive', '--ring', '2', '--can', 'records/read']),
      ok<{ did: string }>(b.dir, ['agent', 'create', 'bob', '--ring', '2', '--can', 'reports/write']),
      ok<{ did: string }>(c.dir, ['agent', 'create', 'carol', '--ring', '2', '--can', 'records/read'])
    ])
    await Promise.all([startExampleAgent(a.dir, 'archive'), startExampleAgent(c.dir, 'carol')])
    const records = `tm:${a.orgDid}/records`
    const record42 = `${records}/42`
    const g1 = await ok<GrantReply>(a.dir, ['delegation', 'grant', '--from', 'alice', '--to', bob.did, '--can', 'records/read', '--with', records, '--ttl', '1h'])
    expect(g1.delivered.ok, JSON.stringify(g1.delivered)).to.equal(true)
    const g2 = await ok<GrantReply>(b.dir, ['delegation', 'grant', '--from', 'bob', '--to', carol.did, '--can', 'records/read', '--with', record42, '--ttl', '30m'])
    expect(g2.delivered.ok, JSON.stringify(g2.delivered)).to.equal(true)

    // before: the chain works at A (bob and carol to the archive) and at C (bob to carol); alice sends as herself
    const bobToArchive = ['--as', 'bob', '--to', archive.did, '--can', 'records/read', '--with', record42, '--proof', g1.cid]
    const carolToArchive = ['--as', 'carol', '--to', archive.did, '--can', 'records/read', '--with', record42, '--proof', g2.cid]
    const bobToCarol = ['--as', 'bob', '--to', carol.did, '--can', 'records/read', '--with', record42, '--proof', g1.cid]
    const aliceToArchive = ['--as', 'alice', '--to', archive.did, '--can', 'records/read', '--with', records]
    for (const [dir, args, at, by] of [[b.dir, bobToArchive, a, 'archive'], [c.dir, carolToArchive, a, 'archive'], [b.dir, bobToCarol, c, 'carol'], [a.dir, aliceToArchive, a, 'archive']] as const) {
      const r = await send(dir, [...args])
      expect([r.code, r.reply.outcome, r.reply.targetOrg, r.reply.output?.handledBy], JSON.stringify(r.reply) + r.stderr).to.deep.equal([0, 'ok', at.orgDid, by])
    }

    // A removes alice: her credential is revoked by a record A signs and gossips
    const removed = await ok<{ name: string, did: string, revoked: string[] }>(a.dir, ['agent', 'remove', 'alice'])
    expect([removed.name, removed.did]).to.deep.equal(['alice', alice.did])
    expect(removed.revoked).to.have.length.greaterThan(0)
    const list = await ok<Array<{ name: string }>>(a.dir, ['agent', 'list'])
    expect(list.map(x => x.name)).to.not.include('alice')

    // at A (the issuing org): every chain through alice is refused, whoever presents it
    expectRevoked(await send(b.dir, [...bobToArchive]), a, alice.did)
    expectRevoked(await send(c.dir, [...carolToArchive]), a, alice.did)

    // at C, a third org: once the revocation has arrived by gossip (bounded wait), bob's task to carol is refused
    let atC: { code: number | null, reply: SendReply } | undefined
    await waitUntil(async () => {
      atC = await send(b.dir, [...bobToCarol])
      return atC.reply.outcome !== 'ok'
    }, GOSSIP_WITHIN_MS, 'initech to learn that alice\'s credential was revoked')
    expectRevoked(atC as { code: number | null, reply: SendReply }, c, alice.did)

    // alice herself: A's agent API no longer knows her key (UNKNOWN_AGENT), so nothing she signs leaves A
    const own = await send(a.dir, [...aliceToArchive])
    expect(own.code, JSON.stringify(own.reply) + own.stderr).to.equal(1)
    expect(own.reply.outcome, JSON.stringify(own.reply) + own.stderr).to.not.equal('ok')
    expect(own.stderr + JSON.stringify(own.reply)).to.match(/UNKNOWN_AGENT|CREDENTIAL_REVOKED/)

    // the refusals are in the executing nodes' task logs with their code
    const aRows = await ok<Array<{ direction: string, outcome: string, code: string }>>(a.dir, ['task', 'list'])
    const cRows = await ok<Array<{ direction: string, outcome: string, code: string }>>(c.dir, ['task', 'list'])
    expect(aRows.filter(r => r.direction === 'received' && r.code === 'CREDENTIAL_REVOKED')).to.have.length(2)
    expect(cRows.some(r => r.direction === 'received' && r.outcome === 'denied' && r.code === 'CREDENTIAL_REVOKED')).to.equal(true)
  })
})
