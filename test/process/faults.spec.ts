/**
 * Faults with real node processes on loopback (DESIGN 11, issue 10 item 2): a partner node SIGKILLed
 * while it runs a task (the requester gets a prompt, clear error naming the partner, nothing stays
 * pending, the task is not run again after the restart); a partner that was down while a delegation
 * was revoked catches up through sync on connect; and a node SIGKILLed while it acknowledges many
 * `agent create` / `peer add` writes loses none of them and keeps no half-written agent.
 * TRUSTMESH_LONG=1 runs 20 crash rounds instead of 3.
 */
import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { Ed25519Signer } from '../../identity/signer.js'
import { createClient } from '../../client/control-client.js'
import { PROMISES, cli, connectedOrgs, startNode, stopAllNodes, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'
import { partnerReadPolicy, startExampleAgent, stopExampleAgents } from './example-agents.js'

const CONNECT_TIMEOUT_MS = PROMISES.reconnectMs
/** The requester's `--timeout` in the kill test. */
const SEND_TIMEOUT_MS = 3_000
/** How long revocation catch-up after a restart may take (sync runs on connect). */
const CATCH_UP_TIMEOUT_MS = 15_000
const CRASH_ROUNDS = process.env.TRUSTMESH_LONG === '1' ? 20 : 3

/** Partners may read without a trust condition (the trust feature is tested elsewhere). */
const TEST_POLICY = partnerReadPolicy('faults-test')

interface TaskReplyView { id: string, outcome: string, code: string, reason?: string, targetOrg?: string }
interface TaskRow { id: string, direction: string, outcome: string, code: string }
interface DelegationRow { cid: string, issuer: string, audience: string, revoked: boolean }
interface AgentRow { name: string, did: string, credential: string }


async function ok (dir: string, args: string[]): Promise<unknown> {
  const r = await cli(dir, ['--json', ...args])
  expect(r.code, `trustmesh ${args.join(' ')}: ${r.stderr}`).to.equal(0)
  return r.json()
}

async function enrol (at: NodeProcess, other: NodeProcess): Promise<void> {
  await ok(at.dir, ['peer', 'add', other.orgDid, '--addr', other.addr, '--name', other.orgName])
}

async function waitConnected (a: NodeProcess, b: NodeProcess): Promise<void> {
  await waitUntil(async () => (await connectedOrgs(a.dir)).includes(b.orgDid) && (await connectedOrgs(b.dir)).includes(a.orgDid), CONNECT_TIMEOUT_MS, `${a.orgName} and ${b.orgName} to connect`)
}

async function taskList (dir: string): Promise<TaskRow[]> {
  return await ok(dir, ['task', 'list', '--limit', '500']) as TaskRow[]
}

async function delegations (dir: string): Promise<DelegationRow[]> {
  return await ok(dir, ['delegation', 'list']) as DelegationRow[]
}

describe('faults with real node processes', function () {
  this.timeout(60_000)
  let orgs: OrgTemplates
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex'])
  })
  afterEach(async () => { await stopExampleAgents(); await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup() })

  function orgDir (org: 'acme' | 'globex'): string {
    const dir = orgs.copy(org)
    writeFileSync(`${dir}/policy.yaml`, TEST_POLICY)
    return dir
  }

  /** acme (alice) and globex (bob), enrolled both ways and connected. */
  async function pair (): Promise<{ a: NodeProcess, b: NodeProcess, alice: string, bob: string }> {
    const [a, b] = await Promise.all([startNode(orgDir('acme')), startNode(orgDir('globex'))])
    await Promise.all([enrol(a, b), enrol(b, a)])
    await waitConnected(a, b)
    const [alice, bob] = await Promise.all([
      ok(a.dir, ['agent', 'create', 'alice', '--ring', '2', '--can', 'records/read']),
      ok(b.dir, ['agent', 'create', 'bob', '--ring', '3', '--can', 'records/read'])
    ]) as Array<{ did: string }>
    return { a, b, alice: alice.did, bob: bob.did }
  }

  it('a partner killed or frozen mid-task: a prompt, clear error naming it; nothing pending; not run again after its restart', async () => {
    const { a, b, bob } = await pair()
    let agent = await startExampleAgent(b.dir, 'bob', { args: ['--delay-ms', String(20_000)] })
    const resource = `tm:${a.orgDid}/records/1`
    const send = async (n: number): Promise<{ code: number | null, reply: TaskReplyView, ms: number }> => {
      const t0 = Date.now()
      const r = await cli(a.dir, ['--json', 'task', 'send', '--as', 'alice', '--to', bob, '--can', 'records/read', '--with', resource, '--args', JSON.stringify({ n }), '--timeout', String(SEND_TIMEOUT_MS)])
      return { code: r.code, reply: r.json<TaskReplyView>(), ms: Date.now() - t0 }
    }
    const inFlight = async (n: number): Promise<void> => {
      // each phase has a fresh agent process, so its first task line is this task
      await waitUntil(() => /task \S+: records\/read/.test(agent.output()), 15_000, `bob to start on task ${n}`)
    }
    const restartGlobex = async (prev: NodeProcess, delayMs: number): Promise<NodeProcess> => {
      await stopExampleAgents()
      const next = await startNode(prev.dir, { listen: `/ip4/127.0.0.1/tcp/${prev.port}` })
      expect(next.orgDid, 'same org after restart').to.equal(prev.orgDid)
      expect(next.peerId, 'same PeerId after restart').to.equal(prev.peerId)
      await waitConnected(a, next)
      agent = await startExampleAgent(next.dir, 'bob', { args: ['--delay-ms', String(delayMs)] })
      return next
    }
    const expectClearError = (r: { code: number | null, reply: TaskReplyView }, codes: string[], what: string): void => {
      expect(r.code, `${what}: task send exits 1 on an error outcome`).to.equal(1)
      expect(r.reply.outcome, what).to.equal('error')
      expect(codes, `${what}: code ${r.reply.code}: ${r.reply.reason ?? ''}`).to.include(r.reply.code)
      expect(r.reply.reason, `${what}: the reason names the partner`).to.include(b.orgDid)
    }

    // 1. killed: the connection drops under the task; the requester hears at once
    const killedTask = send(1)
    await inFlight(1)
    expect((await b.stop('SIGKILL')).signal).to.equal('SIGKILL')
    const killed = await killedTask
    expectClearError(killed, ['PEER_UNREACHABLE', 'TASK_TIMEOUT'], 'killed partner')
    expect(killed.ms, 'answered within the timeout plus CLI start-up').to.be.lessThan(SEND_TIMEOUT_MS + 8_000)
    expect(agent.output()).to.include(`task ${killed.reply.id}:`)

    // 2. frozen (SIGSTOP): the connection stays up but nothing answers; the requester times out
    const b2 = await restartGlobex(b, 20_000)
    const frozenTask = send(2)
    await inFlight(2)
    b2.proc.kill('SIGSTOP')
    const frozen = await frozenTask
    expectClearError(frozen, ['TASK_TIMEOUT'], 'frozen partner')
    expect(frozen.reply.reason).to.include(`${SEND_TIMEOUT_MS} ms`)
    expect(frozen.ms, 'not before the timeout').to.be.at.least(SEND_TIMEOUT_MS)
    expect(frozen.ms, 'soon after the timeout').to.be.lessThan(SEND_TIMEOUT_MS + 8_000)
    expect((await b2.stop('SIGKILL')).signal).to.equal('SIGKILL')

    // the requester's log has both tasks, settled with the outcome it reported (nothing pending)
    const sent = await taskList(a.dir)
    for (const r of [killed, frozen]) {
      const rows = sent.filter(t => t.id === r.reply.id)
      expect(rows, `requester's record of ${r.reply.id}`).to.have.length(1)
      expect(rows[0]).to.include({ direction: 'sent', outcome: 'error', code: r.reply.code })
    }

    // 3. restarted on the same data dir and port: same identity, reconnects, a new task succeeds
    const b3 = await restartGlobex(b2, 0)
    const fresh = await send(3)
    expect(fresh.reply, JSON.stringify(fresh.reply)).to.include({ outcome: 'ok', code: 'OK' })
    expect(fresh.code).to.equal(0)

    // neither interrupted task is run again after a restart, and no task ran twice
    expect(agent.output()).to.not.include(killed.reply.id)
    expect(agent.output()).to.not.include(frozen.reply.id)
    expect(agent.output()).to.include(`task ${fresh.reply.id}:`)
    const received = (await taskList(b3.dir)).filter(t => t.direction === 'received')
    const ids = received.map(t => t.id)
    expect(new Set(ids).size, `received ids: ${ids.join(', ')}`).to.equal(ids.length)
    expect(received.find(t => t.id === fresh.reply.id)).to.include({ outcome: 'ok' })
    expect((await taskList(a.dir)).filter(t => t.outcome === 'pending'), 'nothing pending on the requester').to.deep.equal([])
  })

  it('a partner that was down while a delegation was revoked catches up through sync on connect', async () => {
    const { a, b, bob } = await pair()
    const grant = await ok(a.dir, ['delegation', 'grant', '--from', 'alice', '--to', bob, '--can', 'records/read', '--with', `tm:${a.orgDid}/records`, '--ttl', '1h']) as { cid: string, delivered: { ok: boolean } }
    expect(grant.delivered.ok, JSON.stringify(grant.delivered)).to.equal(true)
    await waitUntil(async () => (await delegations(b.dir)).some(d => d.cid === grant.cid && !d.revoked), 10_000, 'globex to hold the delegation')

    await b.stop('SIGKILL')
    await waitUntil(async () => !(await connectedOrgs(a.dir)).includes(b.orgDid), 10_000, 'acme to see globex gone')
    await ok(a.dir, ['delegation', 'revoke', grant.cid, '--reason', 'faults test'])
    expect((await delegations(a.dir)).find(d => d.cid === grant.cid)?.revoked).to.equal(true)

    const b2 = await startNode(b.dir, { listen: `/ip4/127.0.0.1/tcp/${b.port}` })
    const t0 = Date.now()
    await waitConnected(a, b2)
    await waitUntil(async () => (await delegations(b2.dir)).some(d => d.cid === grant.cid && d.revoked), CATCH_UP_TIMEOUT_MS, 'globex to learn of the revocation')
    expect(Date.now() - t0).to.be.lessThan(CATCH_UP_TIMEOUT_MS)
  })

  it(`SIGKILL during many writes loses no acknowledged write and leaves no half-written agent (${CRASH_ROUNDS} rounds)`, async function () {
    this.timeout(CRASH_ROUNDS * 15_000 + 20_000)
    const dir = orgDir('acme')
    const ackedAgents = new Map<string, string>() // name -> did
    const ackedPeers = new Set<string>()
    let node = await startNode(dir)
    const orgDid = node.orgDid
    for (let round = 0; round < CRASH_ROUNDS; round++) {
      const client = createClient({ dataDir: dir, timeoutMs: 15_000 })
      let acks = 0
      const killAfter = 2 + Math.floor(Math.random() * 6)
      let stop = false
      // 6 writers, each a stream of agent creates and peer adds, until the node dies under them
      const writer = async (w: number): Promise<void> => {
        for (let i = 0; !stop; i++) {
          try {
            if ((i + w) % 2 === 0) {
              const name = `r${round}-w${w}-${i}`
              // the agent's key is its own (generated here); the node stores its DID and credential
              const a = await client.request<{ did: string }>('POST', '/v1/agents', { name, ring: 3, capabilities: ['records/read'], did: Ed25519Signer.generate().did })
              ackedAgents.set(name, a.did)
            } else {
              const did = Ed25519Signer.generate().did
              await client.request('POST', '/v1/peers', { orgDid: did, name: `p${round}-${w}-${i}` })
              ackedPeers.add(did)
            }
            acks++
          } catch {
            return // the node is gone: this write was not acknowledged
          }
        }
      }
      const writers = Array.from({ length: 6 }, async (_, w) => { await writer(w) })
      await waitUntil(() => acks >= killAfter, 20_000, `${killAfter} acknowledged writes`)
      await node.stop('SIGKILL')
      stop = true
      await Promise.all(writers)

      node = await startNode(dir)
      const agents = await createClient({ dataDir: dir }).request<AgentRow[]>('GET', '/v1/agents')
      const byName = new Map(agents.map(a => [a.name, a]))
      for (const [name, did] of ackedAgents) expect(byName.get(name)?.did, `round ${round}: acknowledged agent ${name}`).to.equal(did)
      const peers = await ok(dir, ['peer', 'list']) as Array<{ orgDid: string }>
      const peerDids = new Set(peers.map(p => p.orgDid))
      for (const did of ackedPeers) expect(peerDids.has(did), `round ${round}: acknowledged peer ${did}`).to.equal(true)
      // every listed agent of this round is whole: a valid credential for its DID from this org
      const thisRound = agents.filter(a => a.name.startsWith(`r${round}-`))
      const verdicts = await Promise.all(thisRound.map(async a => await cli(dir, ['--json', 'credential', 'verify', a.credential, '--issuer', orgDid])))
      verdicts.forEach((v, i) => {
        expect(v.code, `round ${round}: credential of ${thisRound[i].name}: ${v.stdout} ${v.stderr}`).to.equal(0)
        const verdict = v.json<{ valid: boolean, subject: { id: string } }>()
        expect(verdict.valid).to.equal(true)
        expect(verdict.subject.id).to.equal(thisRound[i].did)
      })
      // and every listed agent can act: it holds the org's root delegation
      const held = await delegations(dir)
      for (const a of agents) {
        expect(held.some(d => d.issuer === orgDid && d.audience === a.did), `round ${round}: root delegation of listed agent ${a.name}`).to.equal(true)
      }
    }
    expect(ackedAgents.size + ackedPeers.size).to.be.greaterThan(CRASH_ROUNDS)
  })
})
