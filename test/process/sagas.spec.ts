/**
 * Sagas across three organisations, real node processes on loopback (issue 18): acme's alice runs
 * sagas whose steps are tasks to dave (acme), bob (globex) and carol (initech), each with its undo.
 * A saga completes; step 3 fails and steps 2 then 1 are compensated; an operator cancel mid-saga
 * compensates; a step whose undo is not granted never starts; and the coordinator SIGKILLed at many
 * points always ends completed, compensated or stuck, with every step run at most once (counted in
 * the executing agents' own logs).
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { agentOf, cli, connectedOrgs, startNode, stopAllNodes, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { ControlApiError } from '../../client/errors.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

const EXAMPLE_AGENT = fileURLToPath(new URL('../../scripts/example-agent.js', import.meta.url))
const LONG = process.env.TRUSTMESH_LONG === '1'
const KILLS = LONG ? 200 : 20

/** Partners may create and cancel orders (ring 2); nothing else is allowed, so `orders/erase` is denied. */
const POLICY = `version: 1
name: sagas-test
default: deny
rings:
  "*/read": 3
  orders/create: 2
  orders/cancel: 2
  orders/erase: 2
rules:
  - id: orders
    effect: allow
    match:
      ability: [orders/create, orders/cancel]
      callerOrg: [self, partner]
`

interface Agent { proc: ChildProcess, log: () => string }
const agentProcs = new Set<ChildProcess>()

async function startAgent (dir: string, name: string, extra: string[] = []): Promise<Agent> {
  const proc = spawn(process.execPath, [EXAMPLE_AGENT, '--data-dir', dir, '--agent', name, '--can', 'orders/create', '--can', 'orders/cancel', '--fail-on', 'fail', ...extra], {
    env: { ...process.env, TRUSTMESH_DATA_DIR: undefined }, stdio: ['ignore', 'pipe', 'pipe']
  })
  agentProcs.add(proc)
  proc.once('exit', () => { agentProcs.delete(proc) })
  let out = ''
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { out += d })
  await waitUntil(() => {
    if (proc.exitCode != null) throw new Error(`example agent ${name} exited (${String(proc.exitCode)}): ${out}`)
    return out.includes('is serving')
  }, 10_000, `example agent ${name} to register`)
  return { proc, log: () => out }
}

async function ok<T = unknown> (dir: string, args: string[]): Promise<T> {
  const r = await cli(dir, ['--json', ...args], { timeoutMs: 60_000 })
  expect(r.code, `trustmesh ${args.join(' ')}: ${r.stderr}`).to.equal(0)
  return r.json<T>()
}

/** Runs of `ability` with args.ref === ref in an agent's log. */
function runs (a: Agent, ability: string, ref: string): number {
  return a.log().split('\n').filter(l => l.includes(`: ${ability} on `) && l.includes(`"ref":"${ref}"`)).length
}

interface StepView { id: string, state: string, outcome?: string, code?: string, compensation?: { attempts: number, outcome?: string } }
interface SagaView { id: string, state: string, failure?: { step: string, code: string, reason: string }, steps: StepView[], timeline: Array<{ hop: string, kind: string, outcome: string, code: string }> }

interface Mesh { a: NodeProcess, b: NodeProcess, c: NodeProcess, dirs: string[], dave: Agent, bob: Agent, carol: Agent, did: { dave: string, bob: string, carol: string } }

describe('sagas across three organisations (real node processes)', function () {
  this.timeout(LONG ? 3_600_000 : 240_000)
  let orgs: OrgTemplates
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex', 'initech'])
  })
  afterEach(async () => {
    await Promise.all([...agentProcs].map(async p => { const done = new Promise(resolve => p.once('exit', resolve)); p.kill('SIGKILL'); await done }))
    await stopAllNodes()
    orgs.cleanupCopies()
  })
  after(() => { orgs?.cleanup() })

  async function threeOrgs (agentArgs: { bob?: string[] } = {}): Promise<Mesh> {
    const dirs = (['acme', 'globex', 'initech'] as const).map(o => { const d = orgs.copy(o); writeFileSync(`${d}/policy.yaml`, POLICY); return d })
    const nodes = await Promise.all(dirs.map(async d => await startNode(d, { env: { TRUSTMESH_SAGA_COMPENSATION_GRACE_MS: '20000', TRUSTMESH_SAGA_RETRY_MAX_MS: '500' } })))
    const [a, b, c] = nodes
    await Promise.all(nodes.flatMap(n => nodes.filter(o => o !== n).map(async o => await ok(n.dir, ['peer', 'add', o.orgDid, '--addr', o.addr, '--name', o.orgName, '--max-ring', '2']))))
    await waitUntil(async () => (await Promise.all(nodes.map(async n => (await connectedOrgs(n.dir)).length))).every(k => k === 2), 20_000, 'every node to connect to both partners')
    const can = ['--can', 'orders/create', '--can', 'orders/cancel']
    const [alice, dave, bob, carol] = await Promise.all([
      ok<{ did: string }>(a.dir, ['agent', 'create', 'alice', '--ring', '2', ...can]),
      ok<{ did: string }>(a.dir, ['agent', 'create', 'dave', '--ring', '2', ...can]),
      ok<{ did: string }>(b.dir, ['agent', 'create', 'bob', '--ring', '2', ...can]),
      ok<{ did: string }>(c.dir, ['agent', 'create', 'carol', '--ring', '2', ...can])
    ])
    // bob and carol let alice create orders in their orgs (acme's alice holds acme's root herself)
    for (const [n, from] of [[b, 'bob'], [c, 'carol']] as const) {
      const g = await ok<{ delivered: { ok: boolean } }>(n.dir, ['delegation', 'grant', '--from', from, '--to', alice.did, '--can', 'orders/create', '--with', `tm:${n.orgDid}/orders`, '--ttl', '2h'])
      expect(g.delivered.ok).to.equal(true)
    }
    const [daveA, bobA, carolA] = await Promise.all([startAgent(a.dir, 'dave'), startAgent(b.dir, 'bob', agentArgs.bob ?? []), startAgent(c.dir, 'carol')])
    return { a, b, c, dirs, dave: daveA, bob: bobA, carol: carolA, did: { dave: dave.did, bob: bob.did, carol: carol.did } }
  }

  /** A saga of three steps: dave (acme), bob (globex), carol (initech); each undone by orders/cancel with the step's ref. */
  function sagaFile (m: Mesh, ref: string, opts: { failAt3?: boolean, undo3?: string, order?: Array<'dave' | 'bob' | 'carol'> } = {}): string {
    const org = { dave: m.a.orgDid, bob: m.b.orgDid, carol: m.c.orgDid }
    const who = opts.order ?? ['dave', 'bob', 'carol']
    const steps = who.map((w, i) => ({
      id: `s${i + 1}`, to: m.did[w], ability: 'orders/create', resource: `tm:${org[w]}/orders`,
      args: { ref: `${ref}-s${i + 1}`, ...(i === 2 && opts.failAt3 === true ? { fail: true } : {}) },
      compensate: { ability: i === 2 && opts.undo3 != null ? opts.undo3 : 'orders/cancel', args: { ref: '${output.args.ref}', undo: true } }
    }))
    const file = `${m.dirs[0]}/saga-${ref}.json`
    writeFileSync(file, JSON.stringify({ name: `test ${ref}`, deadlineSeconds: 60, stepTimeoutSeconds: 15, steps }))
    return file
  }

  async function waitEnd (dir: string, id: string, ms = 60_000): Promise<SagaView> {
    let s: SagaView | undefined
    await waitUntil(async () => {
      const r = await cli(dir, ['--json', 'saga', 'show', id])
      if (r.code !== 0) return false
      s = r.json<SagaView>()
      return ['completed', 'compensated', 'stuck'].includes(s.state)
    }, ms, `saga ${id} to end`)
    return s as SagaView
  }

  it('completes: every step runs once, nothing is undone, and the timeline and audit log show each hop', async () => {
    const m = await threeOrgs()
    const r = await cli(m.a.dir, ['--json', 'saga', 'run', sagaFile(m, 'ok'), '--as', 'alice'], { timeoutMs: 90_000 })
    expect(r.code, r.stderr + r.stdout).to.equal(0)
    const s = r.json<SagaView>()
    expect(s.state).to.equal('completed')
    expect(s.steps.map(x => [x.id, x.state, x.code])).to.deep.equal([['s1', 'done', 'OK'], ['s2', 'done', 'OK'], ['s3', 'done', 'OK']])
    expect([runs(m.dave, 'orders/create', 'ok-s1'), runs(m.bob, 'orders/create', 'ok-s2'), runs(m.carol, 'orders/create', 'ok-s3')]).to.deep.equal([1, 1, 1])
    for (const a of [m.dave, m.bob, m.carol]) expect(a.log()).to.not.include(': orders/cancel on ')
    expect(s.timeline.filter(e => e.kind === 'undo-grant').map(e => [e.hop, e.code])).to.deep.equal([['s1', 'UNDO_GRANTED'], ['s2', 'UNDO_GRANTED'], ['s3', 'UNDO_GRANTED']])
    const list = await ok<Array<{ id: string, state: string }>>(m.a.dir, ['saga', 'list'])
    expect(list.map(x => [x.id, x.state])).to.deep.equal([[s.id, 'completed']])
    // every step and state change is in acme's audit log; the undo grants are in globex's and initech's
    const audit = (await cli(m.a.dir, ['--json', 'audit', 'show', '--limit', '500'])).stdout
    expect(audit).to.include(s.id)
    for (const n of [m.b, m.c]) expect((await cli(n.dir, ['--json', 'audit', 'show', '--limit', '500'])).stdout).to.include('undo-granted')
  })

  it('step 3 fails: steps 2 then 1 are compensated, each a checked task at its own org', async () => {
    const m = await threeOrgs()
    const r = await cli(m.a.dir, ['--json', 'saga', 'run', sagaFile(m, 'f3', { failAt3: true }), '--as', 'alice'], { timeoutMs: 90_000 })
    expect(r.code).to.equal(1)
    const s = r.json<SagaView>()
    expect(s.state).to.equal('compensated')
    expect(s.failure).to.include({ step: 's3', code: 'EXAMPLE_FAILURE' })
    expect(s.steps.map(x => [x.id, x.state])).to.deep.equal([['s1', 'compensated'], ['s2', 'compensated'], ['s3', 'failed']])
    const comps = s.timeline.filter(e => e.kind === 'compensation' && e.outcome === 'ok').map(e => e.hop)
    expect(comps).to.deep.equal(['s2', 's1'])
    expect([runs(m.dave, 'orders/cancel', 'f3-s1'), runs(m.bob, 'orders/cancel', 'f3-s2'), runs(m.carol, 'orders/cancel', 'f3-s3')]).to.deep.equal([1, 1, 0])
    expect(runs(m.carol, 'orders/create', 'f3-s3')).to.equal(1)
    // the cancel at globex arrived as a task under the undo grant, checked there like any other
    const tasks = await ok<Array<{ ability: string, outcome: string, direction: string }>>(m.b.dir, ['task', 'list'])
    expect(tasks.filter(t => t.direction === 'received' && t.ability === 'orders/cancel').map(t => t.outcome)).to.deep.equal(['ok'])
  })

  it('an operator cancel mid-saga stops it and compensates what was done', async () => {
    const m = await threeOrgs({ bob: ['--delay-ms', '10000'] })
    const started = await ok<{ id: string }>(m.a.dir, ['saga', 'run', sagaFile(m, 'cx'), '--as', 'alice', '--no-wait'])
    await waitUntil(() => m.bob.log().includes('"ref":"cx-s2"'), 20_000, 'step 2 to reach bob')
    const c = await ok<{ state: string }>(m.a.dir, ['saga', 'cancel', started.id])
    expect(c.state).to.equal('running')
    const s = await waitEnd(m.a.dir, started.id)
    expect(s.state).to.equal('compensated')
    expect(s.failure).to.include({ code: 'CANCELLED', step: 's3' })
    expect(s.steps.map(x => [x.id, x.state])).to.deep.equal([['s1', 'compensated'], ['s2', 'compensated'], ['s3', 'skipped']])
    expect(runs(m.carol, 'orders/create', 'cx-s3')).to.equal(0)
    expect([runs(m.dave, 'orders/cancel', 'cx-s1'), runs(m.bob, 'orders/cancel', 'cx-s2')]).to.deep.equal([1, 1])
    expect((await cli(m.a.dir, ['saga', 'cancel', started.id])).code).to.equal(1)
  })

  it('a step whose undo is not granted never starts, and what was done is compensated', async () => {
    const m = await threeOrgs()
    const r = await cli(m.a.dir, ['--json', 'saga', 'run', sagaFile(m, 'nu', { undo3: 'orders/erase' }), '--as', 'alice'], { timeoutMs: 90_000 })
    expect(r.code).to.equal(1)
    const s = r.json<SagaView>()
    expect(s.state).to.equal('compensated')
    expect(s.steps.map(x => [x.id, x.state])).to.deep.equal([['s1', 'compensated'], ['s2', 'compensated'], ['s3', 'undo-refused']])
    expect(s.failure?.step).to.equal('s3')
    expect(s.failure?.code).to.match(/^[A-Z][A-Z_]+$/)
    expect(runs(m.carol, 'orders/create', 'nu-s3')).to.equal(0)
    expect((await cli(m.c.dir, ['--json', 'audit', 'show', '--limit', '500'])).stdout).to.include('undo-refused')
  })

  it('an agent runs a saga through the SDK with its own key; other agents cannot see or cancel it', async () => {
    const m = await threeOrgs()
    const alice = await agentOf(m.a.dir, 'alice')
    const s = await alice.sagas.run(readFileSync(sagaFile(m, 'sdk', { failAt3: true }), 'utf8'), { waitMs: 90_000 })
    expect(s.state).to.equal('compensated')
    expect(s.invoker).to.equal('alice')
    expect(s.failure).to.include({ step: 's3', code: 'EXAMPLE_FAILURE' })
    expect(s.steps.map(x => [x.id, x.state])).to.deep.equal([['s1', 'compensated'], ['s2', 'compensated'], ['s3', 'failed']])
    expect([runs(m.dave, 'orders/create', 'sdk-s1'), runs(m.bob, 'orders/create', 'sdk-s2'), runs(m.carol, 'orders/create', 'sdk-s3')]).to.deep.equal([1, 1, 1])
    expect([runs(m.dave, 'orders/cancel', 'sdk-s1'), runs(m.bob, 'orders/cancel', 'sdk-s2')]).to.deep.equal([1, 1])
    expect((await alice.sagas.list()).map(x => x.id)).to.deep.equal([s.id])
    expect((await alice.sagas.show(s.id)).timeline?.some(e => e.kind === 'compensation' && e.outcome === 'ok')).to.equal(true)
    // dave is an agent of the same node: alice's saga does not exist for him
    const dave = await agentOf(m.a.dir, 'dave')
    expect(await dave.sagas.list()).to.deep.equal([])
    for (const attempt of [async () => await dave.sagas.show(s.id), async () => await dave.sagas.cancel(s.id)]) {
      const err = await attempt().then(() => undefined, (e: unknown) => e)
      expect(err, 'refused').to.be.instanceOf(ControlApiError)
      expect((err as ControlApiError).code).to.equal('UNKNOWN_SAGA')
    }
    // an agent runs sagas only as itself
    const as = await alice.request('POST', '/v1/agent/sagas/plan', { as: 'dave', document: '{}' }).then(() => undefined, (e: unknown) => e)
    expect((as as ControlApiError).code).to.equal('BAD_REQUEST')
  })

  it('a bad document is refused naming the step and field', async () => {
    const m = await threeOrgs()
    const file = `${m.dirs[0]}/bad.json`
    writeFileSync(file, JSON.stringify({ steps: [{ to: m.did.bob, ability: 'orders/create', resource: `tm:${m.b.orgDid}/orders`, compensate: { ability: 'orders/*' } }] }))
    const r = await cli(m.a.dir, ['saga', 'run', file, '--as', 'alice'])
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/step 1: compensate\.ability/)
  })

  it(`the coordinator SIGKILLed at ${KILLS} points always ends completed, compensated or stuck, each step run at most once`, async () => {
    this.timeout(KILLS * 60_000) // a node restart per kill: slow on a loaded machine
    const m = await threeOrgs()
    let a = m.a
    const sagas: Array<{ id: string, ref: string, fails: boolean }> = []
    for (let i = 0; i < KILLS; i++) {
      const ref = `k${i}`
      const fails = i % 2 === 1
      const file = sagaFile(m, ref, { failAt3: fails, order: ['bob', 'carol', 'bob'] })
      const started = await ok<{ id: string }>(a.dir, ['saga', 'run', file, '--as', 'alice', '--no-wait'])
      sagas.push({ id: started.id, ref, fails })
      // kill points spread over the undo grants, the steps and the compensations
      await new Promise(resolve => setTimeout(resolve, 20 + ((i * 137) % 900)))
      await a.stop('SIGKILL')
      a = await startNode(a.dir, { listen: `/ip4/127.0.0.1/tcp/${a.port}`, env: { TRUSTMESH_SAGA_COMPENSATION_GRACE_MS: '20000', TRUSTMESH_SAGA_RETRY_MAX_MS: '500' } })
    }
    await waitUntil(async () => (await connectedOrgs(a.dir)).length === 2, 20_000, 'acme to reconnect')
    const states: Record<string, number> = {}
    for (const s of sagas) {
      const end = await waitEnd(a.dir, s.id, 90_000)
      states[end.state] = (states[end.state] ?? 0) + 1
      const created = [runs(m.bob, 'orders/create', `${s.ref}-s1`), runs(m.carol, 'orders/create', `${s.ref}-s2`), runs(m.bob, 'orders/create', `${s.ref}-s3`)]
      const lines = (a: Agent, ref: string): string[] => a.log().split('\n').filter(l => l.includes(`"ref":"${ref}"`))
      for (const n of created) expect(n, `${s.id} ${JSON.stringify(end.steps)}\nbob: ${lines(m.bob, `${s.ref}-s1`).concat(lines(m.bob, `${s.ref}-s3`)).join('\n')}\ncarol: ${lines(m.carol, `${s.ref}-s2`).join('\n')}`).to.be.at.most(1)
      if (end.state === 'completed') {
        expect(created, s.id).to.deep.equal([1, 1, 1])
        expect(s.fails).to.equal(false)
      }
      if (end.state === 'compensated') {
        // nothing left half done: every step that ran and succeeded was cancelled
        end.steps.forEach((st, k) => { if (st.state !== 'failed' && st.state !== 'skipped' && st.state !== 'undo-refused') expect(st.state, `${s.id} ${st.id}`).to.equal('compensated'); void k })
        expect(runs(m.bob, 'orders/cancel', `${s.ref}-s1`) + runs(m.carol, 'orders/cancel', `${s.ref}-s2`), s.id).to.be.at.least(end.steps.filter(x => x.state === 'compensated').length > 0 ? 1 : 0)
      }
    }
    expect(Object.keys(states).every(k => ['completed', 'compensated', 'stuck'].includes(k)), JSON.stringify(states)).to.equal(true)
  })
})
