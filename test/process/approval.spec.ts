/**
 * Human approval across two real node processes: a task that the executing node's policy holds for
 * approval comes back `pending`, is approved by an operator with the CLI, runs, and the requester
 * sees the outcome; an approval decides once; parked tasks survive a restart; no decision by the
 * deadline is a DENY that the requester sees too.
 */
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { agentOf, cli, connectedOrgs, registerAgent, startNode, stopAllNodes, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { createClient } from '../../client/control-client.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

const EXAMPLE_AGENT = fileURLToPath(new URL('../../scripts/example-agent.js', import.meta.url))

const GLOBEX_POLICY = `version: 1
name: globex
default: deny
rings:
  "*/read": 3
  "payments/*": 1
rules:
  - id: read-partners
    effect: allow
    match: { ability: "*/read", callerOrg: partner }
  - id: pay-needs-approval
    effect: require_approval
    reason: payments need a human
    match: { ability: "payments/*", ring: { max: 1 } }
`

interface Sent { id: string, outcome: string, code: string, reason?: string, approvalId?: string, output?: unknown }

async function ok (dir: string, args: string[]): Promise<string> {
  const r = await cli(dir, args)
  expect(r.code, `trustmesh ${args.join(' ')}: ${r.stderr}`).to.equal(0)
  return r.stdout
}

/** Setup goes through the control API (each CLI process costs about a second); what is asserted uses the CLI. */
async function api<T> (dir: string, method: string, path: string, body?: unknown): Promise<T> {
  return await createClient({ dataDir: dir, timeoutMs: 20_000 }).request<T>(method, path, body)
}

interface Pair { acme: NodeProcess, globex: NodeProcess, alice: string, gina: string }

/** acme's alice (ring 1) holds payments/send on globex's payments from globex's gina (ring 1). */
async function pair (orgs: OrgTemplates, env: NodeJS.ProcessEnv = {}): Promise<Pair> {
  const gdir = orgs.copy('globex')
  writeFileSync(`${gdir}/policy.yaml`, GLOBEX_POLICY)
  const [acme, globex] = await Promise.all([startNode(orgs.copy('acme')), startNode(gdir, { env })])
  await api(acme.dir, 'POST', '/v1/peers', { orgDid: globex.orgDid, addrs: [globex.addr] })
  await api(globex.dir, 'POST', '/v1/peers', { orgDid: acme.orgDid, addrs: [acme.addr], maxRing: 1 })
  await waitUntil(async () => (await connectedOrgs(acme.dir)).includes(globex.orgDid), 15_000, 'acme to connect to globex')
  const alice = (await registerAgent(acme.dir, { name: 'alice', ring: 1, capabilities: ['records/read'] })).did
  const gina = (await registerAgent(globex.dir, { name: 'gina', ring: 1, capabilities: ['payments/send'] })).did
  const grant = await (await agentOf(globex.dir, 'gina')).delegate({ to: alice, ability: 'payments/send', resource: `tm:${globex.orgDid}/payments`, ttlSeconds: 3600 })
  expect(grant.delivered.ok).to.equal(true)
  return { acme, globex, alice, gina }
}

async function send (p: Pair, args: unknown): Promise<Sent> {
  const r = await cli(p.acme.dir, ['--json', 'task', 'send', '--as', 'alice', '--to', p.gina, '--can', 'payments/send', '--with', `tm:${p.globex.orgDid}/payments/7`, '--args', JSON.stringify(args)])
  return r.json<Sent>()
}

async function statusAtAcme (p: Pair, id: string): Promise<Sent & { exit: number | null }> {
  const r = await cli(p.acme.dir, ['--json', 'task', 'status', id])
  return { ...r.json<Sent>(), exit: r.code }
}

function startAgent (dir: string): { stop: () => void, output: () => string } {
  const proc = spawn(process.execPath, [EXAMPLE_AGENT, '--data-dir', dir, '--agent', 'gina', '--can', 'payments/send'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { out += d })
  return { stop: () => { proc.kill('SIGKILL') }, output: () => out }
}

describe('approvals across node processes', function () {
  this.timeout(60_000)
  let orgs: OrgTemplates
  const agents: Array<{ stop: () => void }> = []
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex'])
  })
  afterEach(async () => {
    for (const a of agents.splice(0)) a.stop()
    await stopAllNodes()
    orgs.cleanupCopies()
  })
  after(() => { orgs?.cleanup() })

  it('a task that needs approval is held, approved by an operator, completed, and the requester sees pending then ok', async () => {
    const p = await pair(orgs)
    const agent = startAgent(p.globex.dir)
    agents.push(agent)
    await waitUntil(() => agent.output().includes('is serving'), 10_000, 'the example agent to serve')

    const sent = await send(p, { amount: 42 })
    expect(sent.outcome, JSON.stringify(sent)).to.equal('pending')
    expect(sent.code).to.equal('APPROVAL_REQUIRED')
    expect(sent.reason).to.contain('pay-needs-approval')
    const approvalId = sent.approvalId as string
    expect(approvalId).to.match(/^ap-/)
    expect((await statusAtAcme(p, sent.id)).outcome).to.equal('pending')

    const list = JSON.parse(await ok(p.globex.dir, ['--json', 'approval', 'list'])) as Array<{ id: string, task: string, ability: string, state: string }>
    expect(list.map(a => [a.id, a.task, a.ability, a.state])).to.deep.equal([[approvalId, sent.id, 'payments/send', 'pending']])
    const shown = JSON.parse(await ok(p.globex.dir, ['--json', 'approval', 'show', approvalId])) as { invoker: string }
    expect(shown.invoker).to.equal(p.alice)

    const approved = JSON.parse(await ok(p.globex.dir, ['--json', 'approval', 'approve', approvalId])) as { state: string, outcome: string, output: { args: unknown } }
    expect(approved.state).to.equal('approved')
    expect(approved.outcome).to.equal('ok')
    expect(approved.output.args).to.deep.equal({ amount: 42 })

    // the requester sees the outcome, with a receipt signed by globex's node
    const st = await statusAtAcme(p, sent.id)
    expect(st.exit).to.equal(0)
    expect(st.outcome).to.equal('ok')
    const tasks = JSON.parse(await ok(p.acme.dir, ['--json', 'task', 'list'])) as Array<{ id: string, outcome: string }>
    expect(tasks.find(t => t.id === sent.id)?.outcome).to.equal('ok')

    // an approval decides once
    const again = await cli(p.globex.dir, ['approval', 'approve', approvalId])
    expect(again.code).to.equal(1)
    expect(again.stderr).to.contain('APPROVAL_ALREADY_DECIDED')
  })

  it('parked tasks survive a restart; a denial and a missed deadline reach the requester as DENY', async () => {
    const p = await pair(orgs)
    const sent = await send(p, { amount: 1 })
    expect(sent.outcome).to.equal('pending')
    await p.globex.stop()
    // restarted with a 1 s deadline for newly parked tasks; the one parked before keeps its own
    const globex = await startNode(p.globex.dir, { listen: `/ip4/127.0.0.1/tcp/${p.globex.port}`, env: { TRUSTMESH_APPROVAL_DEADLINE: '1' } })
    const q = { ...p, globex }
    const list = await api<Array<{ id: string, state: string }>>(globex.dir, 'GET', '/v1/approvals')
    expect(list.map(a => [a.id, a.state])).to.deep.equal([[sent.approvalId, 'pending']])
    const denied = JSON.parse(await ok(globex.dir, ['--json', 'approval', 'deny', sent.approvalId as string])) as { state: string, code: string }
    expect([denied.state, denied.code]).to.deep.equal(['denied', 'APPROVAL_DENIED'])
    await waitUntil(async () => (await connectedOrgs(p.acme.dir)).includes(globex.orgDid), 15_000, 'acme to reconnect to globex')
    const st = await statusAtAcme(q, sent.id)
    expect([st.exit, st.outcome, st.code]).to.deep.equal([1, 'denied', 'APPROVAL_DENIED'])

    // no decision by the deadline is a DENY, and a late approval changes nothing
    const late = await send(q, { amount: 5 })
    expect(late.outcome).to.equal('pending')
    await waitUntil(async () => (await api<{ state: string }>(globex.dir, 'GET', `/v1/approvals/${late.approvalId as string}`)).state === 'expired', 10_000, 'the parked task to expire')
    const tooLate = await api<unknown>(globex.dir, 'POST', `/v1/approvals/${late.approvalId as string}/approve`).catch((err: { code?: string }) => err.code)
    expect(tooLate).to.equal('APPROVAL_ALREADY_DECIDED')
    const st2 = await statusAtAcme(q, late.id)
    expect([st2.outcome, st2.code]).to.deep.equal(['denied', 'APPROVAL_TIMEOUT'])
  })
})
