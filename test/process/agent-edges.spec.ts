/**
 * The agent edges with real node processes of two orgs (DESIGN.md section 12, issue 16): an MCP
 * host (the SDK's own Client over stdio) drives `trustmesh mcp` as acme's alice: lists the tools,
 * sends a task that globex's bob completes and one that is refused with its reason code. An
 * @a2a-js/sdk client sends through alice's `trustmesh a2a serve` bridge to bob, who is an
 * @a2a-js/sdk server behind `trustmesh a2a forward`: the card is globex's, verified offline against
 * globex's did:key; the task runs end to end with its invocation and chain; refusals keep their code.
 */
import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { TaskState, type Task } from '@a2a-js/sdk'
import { verifyAgentCard } from '../../protocols/agents/agent-card.js'
import { verifyReceipt } from '../../node/services/tasks/receipt.js'
import { agentOf, cli, connectedOrgs, registerAgent, startNode, stopAllNodes, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { startA2ATestServer, type A2ATestServer } from '../helpers/a2a-server.js'
import { a2aClientFor, mcpClient, PARTNER_READ_POLICY, sendA2A, startEdge, stopEdges } from './edge-helpers.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

interface Mesh { a: NodeProcess, b: NodeProcess, alice: { did: string, keyFile: string }, bob: { did: string, keyFile: string }, records: string }

describe('agent edges: MCP and A2A with real node processes of two orgs', function () {
  this.timeout(120_000)
  let orgs: OrgTemplates
  let a2aServer: A2ATestServer | undefined
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex'])
  })
  afterEach(async () => { await stopEdges(); await a2aServer?.close(); a2aServer = undefined; await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup() })

  /** acme and globex connected; globex's bob delegates records/read on globex records to acme's alice. */
  async function twoOrgs (): Promise<Mesh> {
    const dirs = (['acme', 'globex'] as const).map(o => { const d = orgs.copy(o); writeFileSync(`${d}/policy.yaml`, PARTNER_READ_POLICY); return d })
    const [a, b] = await Promise.all(dirs.map(async d => await startNode(d)))
    for (const [x, y] of [[a, b], [b, a]]) {
      const r = await cli(x.dir, ['--json', 'peer', 'add', y.orgDid, '--addr', y.addr, '--name', y.orgName])
      expect(r.code, r.stderr).to.equal(0)
    }
    await waitUntil(async () => (await connectedOrgs(a.dir)).includes(b.orgDid) && (await connectedOrgs(b.dir)).includes(a.orgDid), 20_000, 'acme and globex to connect')
    const [alice, bob] = await Promise.all([
      registerAgent(a.dir, { name: 'alice', ring: 2, capabilities: ['records/read'] }),
      registerAgent(b.dir, { name: 'bob', ring: 2, capabilities: ['records/read', 'records/write'] })
    ])
    const records = `tm:${b.orgDid}/records`
    const g = await (await agentOf(b.dir, 'bob')).delegate({ to: alice.did, ability: 'records/read', resource: records, ttlSeconds: 3600 })
    expect(g.delivered.ok, g.delivered.message).to.equal(true)
    // acme learns globex's agents (and their cards) through the directory
    await waitUntil(async () => (await (await agentOf(a.dir, 'alice')).directory()).some(e => e.did === bob.did), 15_000, 'acme to list bob')
    return { a, b, alice, bob, records }
  }

  it('MCP: the SDK Client over stdio lists the tools, a task completes, a refused one names its reason code', async () => {
    const { a, b, alice, bob, records } = await twoOrgs()
    ;(await agentOf(b.dir, 'bob')).serve('records/read', async (task) => ({ handledBy: 'bob', resource: task.resource, args: task.args }))
    const client = await mcpClient(a.dir, 'alice', alice.keyFile)
    try {
      const tools = (await client.listTools()).tools
      expect(tools.map(t => t.name).sort()).to.deep.equal(['delegate', 'list_agents', 'list_delegations', 'revoke', 'send_task', 'trust_of'])
      for (const t of tools) {
        expect(t.description, t.name).to.be.a('string').with.length.greaterThan(40)
        expect(t.inputSchema.type).to.equal('object')
      }
      const agents = await client.callTool({ name: 'list_agents', arguments: {} })
      expect(JSON.stringify(agents.structuredContent)).to.include(bob.did)

      const done = await client.callTool({ name: 'send_task', arguments: { to: bob.did, ability: 'records/read', resource: `${records}/42`, args: { id: 42 } } })
      expect(done.isError, JSON.stringify(done)).to.not.equal(true)
      const r = done.structuredContent as { id: string, outcome: string, code: string, output: { handledBy: string, args: unknown }, receipt: string }
      expect([r.outcome, r.code, r.output.handledBy, r.output.args]).to.deep.equal(['ok', 'OK', 'bob', { id: 42 }])
      const rc = verifyReceipt(r.receipt, { expectedInvocation: r.id })
      expect(rc.ok && rc.value.org).to.equal(b.orgDid)

      // alice holds no delegation of records/write: a tool result naming the code, not a crash
      const refused = await client.callTool({ name: 'send_task', arguments: { to: bob.did, ability: 'records/write', resource: `${records}/42` } })
      expect(refused.isError).to.equal(true)
      const code = (refused.structuredContent as { code: string }).code
      expect(code).to.match(/^[A-Z][A-Z0-9_]+$/)
      expect((refused.content as Array<{ text: string }>)[0].text).to.include(code)
      // the server is still there
      expect((await client.callTool({ name: 'trust_of', arguments: { did: bob.did } })).isError).to.not.equal(true)
    } finally {
      await client.close()
    }
  })

  it('A2A: an @a2a-js/sdk client sends through the bridge to an A2A server behind `a2a forward`, end to end; refusals keep their code', async () => {
    const { a, b, alice, bob, records } = await twoOrgs()
    a2aServer = await startA2ATestServer()
    await startEdge(b.dir, ['a2a', 'forward', '--agent', 'bob', '--key', bob.keyFile, '--to', a2aServer.url])
    const bridge = await startEdge<{ url: string }>(a.dir, ['a2a', 'serve', '--agent', 'alice', '--key', alice.keyFile, '--listen', '127.0.0.1:0'])
    expect(bridge.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/)

    // the card is globex's, verifiable offline against globex's did:key
    const { client, card } = await a2aClientFor(bridge.url, bob.did)
    const v = await verifyAgentCard(card, b.orgDid)
    expect(v.ok, v.ok ? '' : v.error.message).to.equal(true)
    expect(v.ok && v.value).to.deep.include({ agentDid: bob.did, orgDid: b.orgDid, name: 'bob' })
    const send = async (args: unknown, trustmesh: Record<string, unknown>): Promise<Task> => await sendA2A(bridge.url, bob.did, args, trustmesh, client)

    const done = await send({ id: 7 }, { ability: 'records/read', resource: `${records}/7` })
    expect(done.status?.state, JSON.stringify(done.status)).to.equal(TaskState.TASK_STATE_COMPLETED)
    const part = done.artifacts[0].parts[0].content
    const output = part?.$case === 'data' ? part.value as Record<string, unknown> : undefined
    expect(output).to.deep.include({ handledBy: 'records-service', args: { id: 7 }, invoker: alice.did, invocation: true })
    expect(output?.proofs as number).to.be.greaterThan(0)
    const meta = done.metadata?.trustmesh as { id: string, code: string, receipt: string }
    expect(meta.code).to.equal('OK')
    const rc = verifyReceipt(meta.receipt, { expectedInvocation: meta.id })
    expect(rc.ok && [rc.value.org, rc.value.outcome]).to.deep.equal([b.orgDid, 'ok'])
    expect(a2aServer.seen).to.have.length(1)

    // no delegation of records/write: rejected at the edge of the mesh with its reason code, never reaching the A2A server
    const denied = await send({ id: 7 }, { ability: 'records/write', resource: `${records}/7` })
    expect(denied.status?.state).to.equal(TaskState.TASK_STATE_REJECTED)
    expect((denied.metadata?.trustmesh as { code: string }).code).to.match(/^[A-Z][A-Z0-9_]+$/)
    expect(a2aServer.seen).to.have.length(1)

    // the A2A server refuses: the mesh task fails with its code, and so does the A2A task
    const failed = await send({ id: 7, refuse: true }, { ability: 'records/read', resource: `${records}/7` })
    expect(failed.status?.state).to.equal(TaskState.TASK_STATE_FAILED)
    expect((failed.metadata?.trustmesh as { code: string }).code).to.equal('NOT_TODAY')
  })
})
