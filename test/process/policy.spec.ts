/**
 * Rings and policies at real node processes: a broken policy stops the node from starting; `policy
 * load` refuses a loosening child and applies a tightening one; `policy check` names the rule at each
 * level; a ring elevation is applied by the executor and expires by itself; a ring-3 agent of another
 * org cannot get a ring-1 agent to act for it (confused deputy); a policy carried in a chain is fetched
 * and enforced two hops later by a node that never had it; an unknown carried policy is a DENY.
 */
import { expect } from 'chai'
import { execFileSync, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { agentOf, cli, connectedOrgs, registerAgent, startNode, stopAllNodes, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { createClient } from '../../client/control-client.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

const EXAMPLE_AGENT = fileURLToPath(new URL('../../scripts/example-agent.js', import.meta.url))

async function api<T> (dir: string, method: string, path: string, body?: unknown): Promise<T> {
  return await createClient({ dataDir: dir, timeoutMs: 20_000 }).request<T>(method, path, body)
}

interface Sent { id: string, outcome: string, code: string, reason?: string }

const ACME_POLICY = `version: 1
name: acme
default: deny
rings: { "*/read": 3 }
rules:
  - id: read-any
    effect: allow
    match: { ability: "*/read" }
  - id: no-secrets
    effect: deny
    reason: secrets never leave acme
    match: { ability: "*/read", args: { secret: { eq: true } } }
`
const INITECH_POLICY = `version: 1
name: initech
default: deny
rings: { "*/read": 3, "payments/*": 1 }
rules:
  - id: read-any
    effect: allow
    match: { ability: "*/read" }
  - id: pay-partners
    effect: allow
    match: { ability: "payments/*", callerOrg: partner, ring: { max: 1 } }
`

describe('rings and policies at node processes', function () {
  this.timeout(60_000)
  let orgs: OrgTemplates
  const procs: Array<{ kill: (s: NodeJS.Signals) => boolean }> = []
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex', 'initech'])
  })
  afterEach(async () => {
    for (const p of procs.splice(0)) p.kill('SIGKILL')
    await stopAllNodes()
    orgs.cleanupCopies()
  })
  after(() => { orgs?.cleanup() })

  it('a node refuses to start with a broken policy and says why', async () => {
    const dir = orgs.copy('acme')
    writeFileSync(`${dir}/policy.yaml`, 'version: 1\nname: acme\ndefault: allow\nrules: []\n')
    const err = await startNode(dir, { readyTimeoutMs: 15_000 }).then(() => undefined, (e: Error) => e)
    expect(err?.message).to.match(/exited before it was ready/)
    expect(err?.message).to.contain('policy.yaml').and.contain("default 'allow' is refused")
  })

  it('policy load of a FIFO is refused promptly (NOT_REGULAR_FILE) and the node keeps serving', async () => {
    const node = await startNode(orgs.copy('acme'))
    const d = node.dir
    execFileSync('mkfifo', [`${d}/fifo.yaml`])
    const before = (await api<{ policyDigest: string }>(d, 'GET', '/v1/status')).policyDigest
    const t0 = Date.now()
    const r = await cli(d, ['policy', 'load', `${d}/fifo.yaml`])
    expect(Date.now() - t0).to.be.below(15_000)
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('NOT_REGULAR_FILE').and.contain('FIFO')
    // still serving, on the policy it had
    expect((await api<{ policyDigest: string }>(d, 'GET', '/v1/status')).policyDigest).to.equal(before)
    expect((await cli(d, ['policy', 'load', '/dev/zero'])).stderr).to.contain('NOT_REGULAR_FILE')
  })

  it('policy load refuses loosening, applies tightening; check names the rules; an elevation applies and expires', async () => {
    const node = await startNode(orgs.copy('acme'))
    const d = node.dir
    writeFileSync(`${d}/loose.yaml`, 'version: 1\nname: unit\nextends: [policy.yaml]\nrules:\n  - id: pay-freely\n    effect: allow\n    match: { ability: "payments/*", callerOrg: self, ring: { max: 1 } }\n')
    const loose = await cli(d, ['policy', 'load', `${d}/loose.yaml`])
    expect(loose.code).to.equal(1)
    expect(loose.stderr).to.contain('POLICY_LOOSENS_PARENT').and.contain('pay-freely')
    writeFileSync(`${d}/tight.yaml`, 'version: 1\nname: unit\nextends: [policy.yaml]\nrules:\n  - id: no-big-orders\n    effect: deny\n    match: { ability: orders/create, args: { amount: { gt: 1000 } } }\n')
    const tight = await cli(d, ['--json', 'policy', 'load', `${d}/tight.yaml`])
    expect(tight.code, tight.stderr).to.equal(0)
    const shown = (await cli(d, ['--json', 'policy', 'show', '--effective'])).json<{ digest: string, levels: Array<{ name: string }> }>()
    expect(shown.levels.map(l => l.name)).to.deep.equal(['default', 'unit'])
    expect((await api<{ policyDigest: string }>(d, 'GET', '/v1/status')).policyDigest).to.equal(shown.digest)

    const ann = (await registerAgent(d, { name: 'ann', ring: 2, capabilities: ['orders/create', 'payments/send'] })).did
    const check = await cli(d, ['--json', 'policy', 'check', '--as', ann, '--can', 'orders/create', '--with', `tm:${node.orgDid}/orders`, '--args', '{"amount":5000}'])
    expect(check.code).to.equal(1)
    const c = check.json<{ effect: string, reason: string, trace: Array<{ level: number, rule?: string, effect: string }> }>()
    expect(c.effect).to.equal('deny')
    expect(c.trace.map(t => [t.level, t.rule, t.effect])).to.deep.equal([[0, 'write-self', 'allow'], [1, 'no-big-orders', 'deny']])

    // ring 2 cannot pay; elevated to ring 1 the payment waits for approval; then the elevation lapses
    const pay = async (): Promise<Sent> => await (await agentOf(d, 'ann')).send({ to: ann, ability: 'payments/send', resource: `tm:${node.orgDid}/payments/1` }) as Sent
    expect((await pay()).code).to.equal('RING_TOO_LOW')
    const el = await cli(d, ['--json', 'ring', 'elevate', 'ann', '--ring', '1', '--ttl', '3s', '--reason', 'quarter close'])
    expect(el.code, el.stderr).to.equal(0)
    expect(el.json<{ from: number, ring: number }>()).to.include({ from: 2, ring: 1 })
    const held = await pay()
    expect([held.outcome, held.code]).to.deep.equal(['pending', 'APPROVAL_REQUIRED'])
    await waitUntil(async () => (await pay()).code === 'RING_TOO_LOW', 10_000, 'the elevation to lapse')
    const r0 = await cli(d, ['ring', 'elevate', 'ann', '--ring', '0', '--ttl', '1m', '--reason', 'x'])
    expect(r0.code).to.equal(1)
  })

  it('three orgs: a carried policy is enforced two hops later; a ring-3 foreign agent cannot use a ring-1 agent', async () => {
    const [adir, bdir, cdir] = [orgs.copy('acme'), orgs.copy('globex'), orgs.copy('initech')]
    writeFileSync(`${adir}/policy.yaml`, ACME_POLICY)
    writeFileSync(`${cdir}/policy.yaml`, INITECH_POLICY)
    const [A, B, C] = await Promise.all([startNode(adir), startNode(bdir), startNode(cdir)])
    const enrol = async (n: NodeProcess, o: NodeProcess, maxRing?: number): Promise<void> => { await api(n.dir, 'POST', '/v1/peers', { orgDid: o.orgDid, addrs: [o.addr], ...(maxRing != null ? { maxRing } : {}) }) }
    await Promise.all([enrol(A, B), enrol(A, C), enrol(B, A), enrol(B, C), enrol(C, A), enrol(C, B, 1)])
    await waitUntil(async () => (await connectedOrgs(C.dir)).length === 2 && (await connectedOrgs(B.dir)).length === 2, 20_000, 'the three nodes to connect')
    const agent = async (n: NodeProcess, name: string, ring: number, can: string): Promise<string> => (await registerAgent(n.dir, { name, ring, capabilities: [can] })).did
    const [, bob, carol, cleo] = await Promise.all([agent(A, 'alice', 3, 'records/read'), agent(B, 'bob', 3, 'notes/read'), agent(C, 'carol', 3, 'records/read'), agent(C, 'cleo', 1, 'payments/send')])
    const ag = spawn(process.execPath, [EXAMPLE_AGENT, '--data-dir', C.dir, '--agent', 'carol', '--can', 'records/read'], { stdio: ['ignore', 'pipe', 'ignore'] })
    procs.push(ag)
    let agentOut = ''
    ag.stdout.setEncoding('utf8').on('data', (s: string) => { agentOut += s })
    const grant = async (n: NodeProcess, body: Record<string, unknown>): Promise<string> => {
      const { from, ...rest } = body as { from: string, to: string, ability: string, resource: string, caveats?: Record<string, string> }
      const g = await (await agentOf(n.dir, from)).delegate({ ttlSeconds: 3600, ...rest })
      expect(g.delivered.ok, g.delivered.message).to.equal(true)
      return g.cid
    }
    const digestA = (await api<{ policyDigest: string }>(A.dir, 'GET', '/v1/status')).policyDigest
    expect((await api<{ policyDigest: string }>(C.dir, 'GET', '/v1/status')).policyDigest).to.not.equal(digestA)
    const carried = await grant(A, { from: 'alice', to: bob, ability: 'records/read', resource: `tm:${A.orgDid}/records`, caveats: { policy: digestA } })
    const bogus = await grant(A, { from: 'alice', to: bob, ability: 'records/read', resource: `tm:${A.orgDid}/records`, caveats: { policy: `sha256:${'0'.repeat(64)}` } })
    await grant(C, { from: 'cleo', to: bob, ability: 'payments/send', resource: `tm:${C.orgDid}/payments` })

    const send = async (args: string[]): Promise<Sent & { exit: number | null }> => {
      const r = await cli(B.dir, ['--json', 'task', 'send', '--as', 'bob', ...args])
      return { ...r.json<Sent>(), exit: r.code }
    }
    // A's policy, carried in the chain, is fetched by C and decides with C's own
    const secret = await send(['--to', carol, '--can', 'records/read', '--with', `tm:${A.orgDid}/records/42`, '--args', '{"secret":true}', '--proof', carried])
    expect([secret.exit, secret.outcome, secret.code]).to.deep.equal([1, 'denied', 'CARRIED_POLICY_DENY'])
    expect(secret.reason).to.contain('no-secrets')
    await waitUntil(() => agentOut.includes('is serving'), 10_000, 'carol\'s agent to serve')
    const fine = await send(['--to', carol, '--can', 'records/read', '--with', `tm:${A.orgDid}/records/42`, '--args', '{"secret":false}', '--proof', carried])
    expect([fine.outcome, fine.code], fine.reason).to.deep.equal(['ok', 'OK'])
    const unknown = await send(['--to', carol, '--can', 'records/read', '--with', `tm:${A.orgDid}/records/42`, '--args', '{"secret":false}', '--proof', bogus])
    expect([unknown.outcome, unknown.code]).to.deep.equal(['denied', 'POLICY_UNAVAILABLE'])

    // confused deputy: bob (ring 3) holds cleo's (ring 1) payments/send; C refuses it for its ring
    const deputy = await send(['--to', cleo, '--can', 'payments/send', '--with', `tm:${C.orgDid}/payments/9`])
    expect([deputy.exit, deputy.outcome, deputy.code]).to.deep.equal([1, 'denied', 'RING_TOO_LOW'])
    expect(deputy.reason).to.contain('ring 3')
    const atC = await api<Array<{ id: string, direction: string, outcome: string, code: string }>>(C.dir, 'GET', '/v1/tasks')
    expect(atC.find(t => t.id === deputy.id && t.direction === 'received')?.code).to.equal('RING_TOO_LOW')
  })
})
