/**
 * Three organisations, three real node processes on loopback, driven through the CLI as the README
 * walk does: acme's alice delegates to globex's bob, bob re-delegates an attenuated part to initech's
 * carol. bob's task runs at carol's node (and carol's agent passes a sub-task to acme's dave under the
 * full three-link chain); after acme revokes the first link the same tasks are refused at initech and
 * at acme with REVOKED naming the link; a widened request is refused; every refusal names its reason.
 * Replay of a captured invocation is covered in process (test/node/tasks/task-executor.spec.ts).
 */
import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { verifyReceipt } from '../../node/services/tasks/receipt.js'
import { cli, connectedOrgs, startNode, stopAllNodes, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'
import { startExampleAgent, stopExampleAgents } from './example-agents.js'


/** Partners may read without a trust condition (trust scores are tested elsewhere). */
const TEST_POLICY = `version: 1
name: three-orgs-test
default: deny
rings:
  "*/read": 3
  records/write: 2
rules:
  - id: read-self-and-partners
    effect: allow
    match:
      ability: records/read
      callerOrg: [self, partner]
`

interface SendReply { id: string, targetOrg: string, outcome: string, code: string, reason?: string, link?: number, output?: { handledBy?: string, forwarded?: SendReply & { output?: { handledBy?: string } } }, receipt?: string }
interface GrantReply { cid: string, delivered: { ok: boolean, code?: string, message?: string } }
interface TaskRow { id: string, direction: string, outcome: string, code: string }
interface DelegationRow { cid: string, revoked: boolean }


async function ok<T = unknown> (dir: string, args: string[]): Promise<T> {
  const r = await cli(dir, ['--json', ...args])
  expect(r.code, `trustmesh ${args.join(' ')}: ${r.stderr}`).to.equal(0)
  return r.json<T>()
}

/** `task send` as JSON; exit 0 for ok, 1 for a refusal or failure (stdout still carries the reply). */
async function send (dir: string, args: string[]): Promise<{ code: number | null, reply: SendReply }> {
  const r = await cli(dir, ['--json', 'task', 'send', '--timeout', '20000', ...args], { timeoutMs: 40_000 })
  return { code: r.code, reply: r.json<SendReply>() }
}

function expectReceipt (reply: SendReply, org: string, outcome: string, code: string): void {
  const r = verifyReceipt(reply.receipt, { expectedInvocation: reply.id })
  expect(r.ok, r.ok ? '' : r.error.message).to.equal(true)
  if (r.ok) expect([r.value.org, r.value.outcome, r.value.code]).to.deep.equal([org, outcome, code])
}

function expectRefusal (res: { code: number | null, reply: SendReply }, code: string): void {
  expect(res.code, JSON.stringify(res.reply)).to.equal(1)
  expect(res.reply.outcome).to.equal('denied')
  expect(res.reply.code, res.reply.reason).to.equal(code)
  expect(res.reply.code).to.match(/^[A-Z][A-Z0-9_]+$/)
  expect(res.reply.reason).to.be.a('string').and.not.equal('')
}

describe('three organisations: a delegation chain across A -> B -> C with real node processes', function () {
  this.timeout(150_000) // a shared 2-core machine: three nodes, two agent processes and ~20 CLI runs
  let orgs: OrgTemplates
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex', 'initech'])
  })
  afterEach(async () => { await stopExampleAgents(); await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup() })

  interface Mesh { a: NodeProcess, b: NodeProcess, c: NodeProcess, bob: { did: string }, carol: { did: string }, dave: { did: string }, records: string, record42: string, g1: GrantReply, g2: GrantReply }

  /** Three nodes enrolled pairwise, agents alice and dave (acme), bob (globex), carol (initech), the chain granted. */
  async function threeOrgs (): Promise<Mesh> {
    const dirs = (['acme', 'globex', 'initech'] as const).map(o => { const d = orgs.copy(o); writeFileSync(`${d}/policy.yaml`, TEST_POLICY); return d })
    const [a, b, c]: NodeProcess[] = await Promise.all(dirs.map(async d => await startNode(d)))
    const nodes = [a, b, c]
    await Promise.all(nodes.flatMap(n => nodes.filter(o => o !== n).map(async o => await ok(n.dir, ['peer', 'add', o.orgDid, '--addr', o.addr, '--name', o.orgName]))))
    await waitUntil(async () => (await Promise.all(nodes.map(async n => (await connectedOrgs(n.dir)).length))).every(k => k === 2), 20_000, 'every node to connect to both partners')

    const [, dave, bob, carol] = await Promise.all([
      ok<{ did: string }>(a.dir, ['agent', 'create', 'alice', '--ring', '2', '--can', 'records/read']),
      ok<{ did: string }>(a.dir, ['agent', 'create', 'dave', '--ring', '2', '--can', 'records/read']),
      ok<{ did: string }>(b.dir, ['agent', 'create', 'bob', '--ring', '2', '--can', 'reports/write']),
      ok<{ did: string }>(c.dir, ['agent', 'create', 'carol', '--ring', '2', '--can', 'records/read'])
    ])
    const records = `tm:${a.orgDid}/records`
    const record42 = `${records}/42`
    // carol's agent answers and passes a sub-task on to acme's dave (as herself, under bob -> carol)
    await startExampleAgent(a.dir, 'dave')
    await startExampleAgent(c.dir, 'carol', { args: ['--forward-to', dave.did] })

    const g1 = await ok<GrantReply>(a.dir, ['delegation', 'grant', '--from', 'alice', '--to', bob.did, '--can', 'records/read', '--with', records, '--ttl', '1h'])
    expect(g1.delivered.ok, JSON.stringify(g1.delivered)).to.equal(true)
    const g2 = await ok<GrantReply>(b.dir, ['delegation', 'grant', '--from', 'bob', '--to', carol.did, '--can', 'records/read', '--with', record42, '--ttl', '30m'])
    expect(g2.delivered.ok, JSON.stringify(g2.delivered)).to.equal(true)
    return { a, b, c, bob, carol, dave, records, record42, g1, g2 }
  }

  it('C runs B\'s task and A runs C\'s under the chain; after A revokes the first link both are refused with REVOKED', async () => {
    const { a, b, c, carol, dave, records, record42, g1, g2 } = await threeOrgs()
    // a link that would widen its proof cannot even be granted
    const wide = await cli(b.dir, ['delegation', 'grant', '--from', 'bob', '--to', carol.did, '--can', 'records/write', '--with', record42])
    expect(wide.code).to.equal(1)
    expect(wide.stderr).to.match(/NO_DELEGATION|ESCALATION/)

    // B -> C under the chain: runs at C, whose agent's sub-task runs at A under all three links
    const first = await send(b.dir, ['--as', 'bob', '--to', carol.did, '--can', 'records/read', '--with', record42, '--args', '{"q":1}', '--proof', g1.cid])
    expect(first.code, JSON.stringify(first.reply)).to.equal(0)
    expect([first.reply.outcome, first.reply.code, first.reply.targetOrg]).to.deep.equal(['ok', 'OK', c.orgDid])
    expect(first.reply.output?.handledBy).to.equal('carol')
    expectReceipt(first.reply, c.orgDid, 'ok', 'OK')
    const sub = first.reply.output?.forwarded
    expect([sub?.outcome, sub?.code, sub?.targetOrg, sub?.output?.handledBy]).to.deep.equal(['ok', 'OK', a.orgDid, 'dave'])
    expectReceipt(sub as SendReply, a.orgDid, 'ok', 'OK')

    // C -> A directly with the three-link chain (acme -> alice -> bob -> carol)
    const direct = await send(c.dir, ['--as', 'carol', '--to', dave.did, '--can', 'records/read', '--with', record42, '--proof', g2.cid])
    expect([direct.code, direct.reply.outcome, direct.reply.targetOrg]).to.deep.equal([0, 'ok', a.orgDid])
    expectReceipt(direct.reply, a.orgDid, 'ok', 'OK')

    // widened requests are refused with their reason
    const widerCli = await cli(b.dir, ['task', 'send', '--as', 'bob', '--to', carol.did, '--can', 'records/write', '--with', record42, '--proof', g1.cid])
    expect(widerCli.code).to.equal(1)
    expect(widerCli.stderr).to.match(/ESCALATION/)
    const widerRes = await cli(c.dir, ['task', 'send', '--as', 'carol', '--to', dave.did, '--can', 'records/read', '--with', records])
    expect(widerRes.code).to.equal(1)
    expect(widerRes.stderr).to.match(/NO_DELEGATION|ESCALATION/)

    // A revokes alice -> bob; the revocation reaches B and C over gossip
    const rv = await ok<{ cid: string }>(a.dir, ['delegation', 'revoke', g1.cid, '--reason', 'access withdrawn'])
    expect(rv.cid).to.equal(g1.cid)
    for (const n of [b, c]) {
      await waitUntil(async () => (await ok<DelegationRow[]>(n.dir, ['delegation', 'list'])).some(d => d.cid === g1.cid && d.revoked), 15_000, `${n.orgName} to learn the revocation`)
    }

    const atC = await send(b.dir, ['--as', 'bob', '--to', carol.did, '--can', 'records/read', '--with', record42, '--args', '{"q":2}', '--proof', g1.cid])
    expectRefusal(atC, 'REVOKED')
    expect(atC.reply.targetOrg).to.equal(c.orgDid)
    expect(atC.reply.link).to.equal(1)
    expect(atC.reply.reason).to.include(g1.cid)
    expectReceipt(atC.reply, c.orgDid, 'denied', 'REVOKED')

    const atA = await send(c.dir, ['--as', 'carol', '--to', dave.did, '--can', 'records/read', '--with', record42, '--proof', g2.cid])
    expectRefusal(atA, 'REVOKED')
    expect(atA.reply.targetOrg).to.equal(a.orgDid)
    expect(atA.reply.link).to.equal(1)
    expect(atA.reply.reason).to.include(g1.cid)
    expectReceipt(atA.reply, a.orgDid, 'denied', 'REVOKED')

    // the human output names the reason too
    const human = await cli(b.dir, ['task', 'send', '--as', 'bob', '--to', carol.did, '--can', 'records/read', '--with', record42, '--proof', g1.cid])
    expect(human.code).to.equal(1)
    expect(human.stdout).to.match(/code:\s+REVOKED/)
    expect(human.stdout).to.match(/reason:\s+link 1/)

    // each executing node logged what it ran and what it refused, every entry with a code
    const cRows = await ok<TaskRow[]>(c.dir, ['task', 'list'])
    const aRows = await ok<TaskRow[]>(a.dir, ['task', 'list'])
    expect(cRows.filter(r => r.direction === 'received').map(r => [r.outcome, r.code])).to.deep.include.members([['ok', 'OK'], ['denied', 'REVOKED']])
    expect(aRows.filter(r => r.direction === 'received').map(r => [r.outcome, r.code])).to.deep.include.members([['ok', 'OK'], ['denied', 'REVOKED']])
    for (const r of [...cRows, ...aRows]) expect(r.code).to.match(/^[A-Z][A-Z0-9_]+$/)
  })

  it('a sub-task refused at the next hop fails the task, naming that hop\'s reason (bob revokes bob -> carol)', async () => {
    const { a, b, c, bob, carol, record42, g1, g2 } = await threeOrgs()
    const rv = await ok<{ cid: string, issuer: string }>(b.dir, ['delegation', 'revoke', g2.cid, '--as', 'bob'])
    expect(rv.issuer).to.equal(bob.did)
    await waitUntil(async () => (await ok<DelegationRow[]>(c.dir, ['delegation', 'list'])).some(d => d.cid === g2.cid && d.revoked), 15_000, 'initech to learn the revocation')
    // bob's own link (alice -> bob) still holds at C; carol's sub-task under bob -> carol is refused at A
    let res: { code: number | null, reply: SendReply } | undefined
    await waitUntil(async () => {
      res = await send(b.dir, ['--as', 'bob', '--to', carol.did, '--can', 'records/read', '--with', record42, '--proof', g1.cid])
      return res.reply.outcome !== 'ok'
    }, 15_000, 'acme to refuse the sub-task')
    const r = res as { code: number | null, reply: SendReply }
    expect(r.code).to.equal(1)
    expect([r.reply.outcome, r.reply.code, r.reply.targetOrg]).to.deep.equal(['error', 'FORWARD_DENIED', c.orgDid])
    expect(r.reply.reason).to.include('REVOKED')
    expectReceipt(r.reply, c.orgDid, 'error', 'FORWARD_DENIED')
    const aRows = await ok<TaskRow[]>(a.dir, ['task', 'list'])
    expect(aRows.some(x => x.direction === 'received' && x.outcome === 'denied' && x.code === 'REVOKED')).to.equal(true)
  })
})
