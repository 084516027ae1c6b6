/**
 * A2A and human approval across two real node processes: a message through acme's A2A bridge to
 * globex's gina is held by globex's policy for approval. The A2A caller gets the task at once in
 * `auth-required`, with the approval id in its trustmesh metadata; once an approver at globex
 * approves, the same A2A task (tasks/get) is completed with gina's output and globex's receipt.
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { TaskState, type Task } from '@a2a-js/sdk'
import { agentKeyPath, agentOf, cli, stopAllNodes, waitUntil } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'
import { pair } from './payments-pair.js'
import { a2aClientFor, sendA2A, startEdge, stopEdges } from './edge-helpers.js'
import { verifyReceipt } from '../../node/services/tasks/receipt.js'

const EXAMPLE_AGENT = fileURLToPath(new URL('../../scripts/example-agent.js', import.meta.url))

describe('A2A: a task held for approval is auth-required, then takes its outcome (real node processes)', function () {
  this.timeout(120_000)
  let orgs: OrgTemplates
  let gina: ChildProcess | undefined
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex'])
  })
  afterEach(async () => { gina?.kill('SIGKILL'); gina = undefined; await stopEdges(); await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup() })

  it('auth-required at once with the approval id; completed with output and receipt after the approval', async () => {
    const p = await pair(orgs)
    gina = spawn(process.execPath, [EXAMPLE_AGENT, '--data-dir', p.globex.dir, '--agent', 'gina', '--can', 'payments/send'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let ginaOut = ''
    gina.stdout?.setEncoding('utf8').on('data', (d: string) => { ginaOut += d })
    await waitUntil(() => ginaOut.includes('is serving'), 10_000, 'gina to serve')
    await waitUntil(async () => (await (await agentOf(p.acme.dir, 'alice')).directory()).some(e => e.did === p.gina), 15_000, 'acme to list gina')
    const bridge = await startEdge<{ url: string }>(p.acme.dir, ['a2a', 'serve', '--agent', 'alice', '--key', agentKeyPath(p.acme.dir, 'alice'), '--listen', '127.0.0.1:0'])
    const { client } = await a2aClientFor(bridge.url, p.gina)

    const held = await sendA2A(bridge.url, p.gina, { amount: 42 }, { ability: 'payments/send', resource: `tm:${p.globex.orgDid}/payments/7` }, client)
    expect(held.status?.state, JSON.stringify(held.status)).to.equal(TaskState.TASK_STATE_AUTH_REQUIRED)
    const meta = held.metadata?.trustmesh as { id: string, approvalId: string, code: string }
    expect(meta.approvalId).to.match(/^ap-/)

    // an approver at globex decides, with her own key and a justification
    const keyFile = `${p.globex.dir}/../ann-${Date.now()}.jwk`
    const gen = await cli(p.globex.dir, ['--json', 'approval', 'keygen', '--out', keyFile])
    expect(gen.code, gen.stderr).to.equal(0)
    expect((await cli(p.globex.dir, ['approval', 'approver', 'add', 'ann', '--did', gen.json<{ did: string }>().did, '--role', 'payments-approver'])).code).to.equal(0)
    const approved = await cli(p.globex.dir, ['--json', 'approval', 'approve', meta.approvalId, '--key', keyFile, '--reason', 'invoice 42 matches'])
    expect(approved.code, approved.stderr).to.equal(0)

    // the same A2A task takes its outcome: the bridge followed it
    let done: Task | undefined
    await waitUntil(async () => {
      done = await client.getTask({ tenant: '', id: held.id })
      return done.status?.state !== TaskState.TASK_STATE_AUTH_REQUIRED
    }, 30_000, 'the A2A task to leave auth-required')
    const d = done as Task
    expect(d.status?.state, JSON.stringify(d.status)).to.equal(TaskState.TASK_STATE_COMPLETED)
    const part = d.artifacts[0]?.parts[0]?.content
    expect(part?.$case === 'data' ? (part.value as { args?: unknown }).args : undefined).to.deep.equal({ amount: 42 })
    const final = d.metadata?.trustmesh as { id: string, code: string, receipt: string }
    expect(final).to.include({ id: meta.id, code: 'OK' })
    const rc = verifyReceipt(final.receipt, { expectedInvocation: meta.id })
    expect(rc.ok && [rc.value.org, rc.value.outcome]).to.deep.equal([p.globex.orgDid, 'ok'])
  })
})
