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
import { cli, connectedOrgs, startNode, stopAllNodes, waitUntil } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'
import { api, pair, sendPayment, type Pair, type Sent } from './payments-pair.js'
import { Ed25519Signer } from '../../identity/signer.js'
import { issueApproval } from '../../authz/index.js'
import { systemClock } from '../../identity/clock.js'

const EXAMPLE_AGENT = fileURLToPath(new URL('../../scripts/example-agent.js', import.meta.url))

async function ok (dir: string, args: string[]): Promise<string> {
  const r = await cli(dir, args)
  expect(r.code, `trustmesh ${args.join(' ')}: ${r.stderr}`).to.equal(0)
  return r.stdout
}

const send = sendPayment

/** A named approver whose key is held in the test (the node never sees it). */
async function approver (dir: string, name: string, role = 'payments-approver'): Promise<Ed25519Signer> {
  const key = Ed25519Signer.generate()
  await api(dir, 'POST', '/v1/approvers', { name, did: key.did, role })
  return key
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

    // the org key approves nothing by default: an approver's own key and a justification are required
    const noKey = await cli(p.globex.dir, ['approval', 'approve', approvalId])
    expect(noKey.code).to.equal(2)
    expect(await api(p.globex.dir, 'POST', `/v1/approvals/${approvalId}/approve`, {}).catch((e: { code?: string }) => e.code)).to.equal('APPROVAL_TOKEN_REQUIRED')
    const keyFile = `${p.globex.dir}/../ann-${Date.now()}.jwk`
    const gen = JSON.parse(await ok(p.globex.dir, ['--json', 'approval', 'keygen', '--out', keyFile])) as { did: string }
    await ok(p.globex.dir, ['approval', 'approver', 'add', 'ann', '--did', gen.did, '--role', 'payments-approver'])
    const listed = JSON.parse(await ok(p.globex.dir, ['--json', 'approval', 'approver', 'list'])) as Array<{ name: string, did: string, role: string }>
    expect(listed.map(a => [a.name, a.did, a.role])).to.deep.equal([['ann', gen.did, 'payments-approver']])

    const approved = JSON.parse(await ok(p.globex.dir, ['--json', 'approval', 'approve', approvalId, '--key', keyFile, '--reason', 'invoice 42 matches the order'])) as { state: string, outcome: string, output: { args: unknown }, approvals: Array<{ name: string, reason: string }> }
    expect(approved.approvals.map(a => [a.name, a.reason])).to.deep.equal([['ann', 'invoice 42 matches the order']])
    const audit = JSON.parse(await ok(p.globex.dir, ['--json', 'audit', 'show'])) as unknown
    expect(JSON.stringify(audit)).to.contain('invoice 42 matches the order')
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
    const again = await cli(p.globex.dir, ['approval', 'approve', approvalId, '--key', keyFile, '--reason', 'again'])
    expect(again.code).to.equal(1)
    expect(again.stderr).to.contain('APPROVAL_ALREADY_DECIDED')
  })

  it('a two-person rule: two approvers of the role must approve before the task runs', async () => {
    const p = await pair(orgs)
    const agent = startAgent(p.globex.dir)
    agents.push(agent)
    await waitUntil(() => agent.output().includes('is serving'), 10_000, 'the example agent to serve')
    const sent = await send(p, { amount: 5000 })
    expect([sent.outcome, sent.reason]).to.satisfy(([o, r]: [string, string]) => o === 'pending' && r.includes('big-payments-two-person'))
    const [ann, bea] = [await approver(p.globex.dir, 'ann'), await approver(p.globex.dir, 'bea')]
    const clerk = await approver(p.globex.dir, 'clerk', 'clerk')
    const decide = async (key: Ed25519Signer, reason: string): Promise<{ state: string, outcome?: string } | string> => {
      const token = await issueApproval(key, { taskId: sent.id, decision: 'approve', ttlSeconds: 300, reason }, systemClock)
      return await api<{ state: string, outcome?: string }>(p.globex.dir, 'POST', `/v1/approvals/${sent.approvalId as string}/approve`, { token }).catch((e: { code: string }) => e.code)
    }
    expect(await decide(clerk, 'looks fine')).to.equal('APPROVER_WRONG_ROLE')
    expect(await decide(ann, 'first')).to.deep.include({ state: 'pending' })
    expect((await statusAtAcme(p, sent.id)).outcome).to.equal('pending')
    expect(await decide(ann, 'first again')).to.equal('APPROVER_ALREADY_DECIDED')
    expect(await decide(bea, 'second')).to.deep.include({ state: 'approved', outcome: 'ok' })
    expect((await statusAtAcme(p, sent.id)).outcome).to.equal('ok')
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
    const ann = await approver(globex.dir, 'ann')
    const token = await issueApproval(ann, { taskId: sent.id, decision: 'deny', ttlSeconds: 300, reason: 'not this week' }, systemClock)
    writeFileSync(`${globex.dir}/deny.jwt`, token)
    const denied = JSON.parse(await ok(globex.dir, ['--json', 'approval', 'deny', sent.approvalId as string, '--token', `${globex.dir}/deny.jwt`])) as { state: string, code: string }
    expect([denied.state, denied.code]).to.deep.equal(['denied', 'APPROVAL_DENIED'])
    await waitUntil(async () => (await connectedOrgs(p.acme.dir)).includes(globex.orgDid), 15_000, 'acme to reconnect to globex')
    const st = await statusAtAcme(q, sent.id)
    expect([st.exit, st.outcome, st.code]).to.deep.equal([1, 'denied', 'APPROVAL_DENIED'])

    // no decision by the deadline is a DENY, and a late approval changes nothing
    const late = await send(q, { amount: 5 })
    expect(late.outcome).to.equal('pending')
    await waitUntil(async () => (await api<{ state: string }>(globex.dir, 'GET', `/v1/approvals/${late.approvalId as string}`)).state === 'expired', 10_000, 'the parked task to expire')
    const lateToken = await issueApproval(ann, { taskId: late.id, decision: 'approve', ttlSeconds: 300, reason: 'too late' }, systemClock)
    const tooLate = await api<unknown>(globex.dir, 'POST', `/v1/approvals/${late.approvalId as string}/approve`, { token: lateToken }).catch((err: { code?: string }) => err.code)
    expect(tooLate).to.equal('APPROVAL_ALREADY_DECIDED')
    const st2 = await statusAtAcme(q, late.id)
    expect([st2.outcome, st2.code]).to.deep.equal(['denied', 'APPROVAL_TIMEOUT'])
  })
})
