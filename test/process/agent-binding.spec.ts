/**
 * No org can claim another org's agent (DESIGN.md section 2), with three real node processes: acme
 * (A), globex (B, hosting bob) and initech as M (an enrolled partner of A, turned rogue). M registers bob's DID as an agent of
 * its own, so its agent directory ships an AgentCredential M signed for bob, without bob's acceptance
 * (M lacks bob's key). A learns M's directory first and binds nothing; bob's own credential, which bob
 * accepted, binds bob to B; M's claim seen again is refused (PRINCIPAL_CONFLICT, logged), and alice's
 * tasks for bob reach B, also after A restarts. (The same claim in a task request or a delegation
 * delivery is covered in process: test/node/services/tasks/task-executor.spec.ts and
 * test/node/services/delegation/delegation-books.spec.ts.)
 */
import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { generateAgentKeyFile } from '../../identity/agent-key.js'
import { cli, connectedOrgs, startNode, stopAllNodes, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'
import { partnerReadPolicy, startExampleAgent, stopExampleAgents } from './example-agents.js'

const POLICY = partnerReadPolicy('binding-test')

interface SendReply { outcome: string, code: string, reason?: string, targetOrg: string, output?: { handledBy?: string } }

describe('agent binding: a third org cannot claim another org\'s agent (real processes)', function () {
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

  async function ok<T> (dir: string, args: string[]): Promise<T> {
    const r = await cli(dir, ['--json', ...args])
    expect(r.code, `trustmesh ${args.join(' ')}: ${r.stderr}`).to.equal(0)
    return r.json<T>()
  }
  async function enrol (x: NodeProcess, y: NodeProcess): Promise<void> {
    await ok(x.dir, ['peer', 'add', y.orgDid, '--addr', y.addr, '--name', y.orgName])
    await ok(y.dir, ['peer', 'add', x.orgDid, '--addr', x.addr, '--name', x.orgName])
  }
  async function send (dir: string, args: string[]): Promise<SendReply> {
    const r = await cli(dir, ['--json', 'task', 'send', '--timeout', '20000', ...args], { timeoutMs: 40_000 })
    return r.json<SendReply>()
  }

  it('M\'s credential for B\'s bob is refused at A; alice\'s tasks keep reaching B, also after A restarts', async () => {
    const dirs = (['acme', 'globex', 'initech'] as const).map(o => { const d = orgs.copy(o); writeFileSync(`${d}/policy.yaml`, POLICY); return d })
    const [a0, b, m] = await Promise.all(dirs.map(async d => await startNode(d)))
    // bob's key exists before anyone registers it; M learns bob's DID (a DID is public) and claims it
    const bobKey = await generateAgentKeyFile(`${b.dir}/agents/bob.key`)
    await ok(m.dir, ['agent', 'create', 'bob', '--ring', '1', '--can', 'records/read', '--did', bobKey.did])
    // A meets M first: M's directory lists "bob" (signed by M, not accepted by bob)
    let a = a0
    await enrol(a, m)
    await waitUntil(async () => (await connectedOrgs(a.dir)).includes(m.orgDid), 20_000, 'A to connect to M')
    await ok(b.dir, ['agent', 'create', 'bob', '--ring', '2', '--can', 'records/read', '--did', bobKey.did])
    await startExampleAgent(b.dir, 'bob') // bob's process accepts its credential from B with its key
    await enrol(a, b)
    await waitUntil(async () => (await connectedOrgs(a.dir)).length === 2, 20_000, 'A to connect to B')
    await ok(a.dir, ['agent', 'create', 'alice', '--ring', '2', '--can', 'records/read'])
    const records = `tm:${a.orgDid}/records`

    const first = await send(a.dir, ['--as', 'alice', '--to', bobKey.did, '--can', 'records/read', '--with', records])
    expect([first.outcome, first.targetOrg, first.output?.handledBy], JSON.stringify(first)).to.deep.equal(['ok', b.orgDid, 'bob'])

    // M's claim seen again (its directory, on A's restart) is a conflict: refused and logged
    await a.stop('SIGTERM')
    a = await startNode(a.dir, { listen: `/ip4/127.0.0.1/tcp/${a.port}` })
    await waitUntil(async () => (await connectedOrgs(a.dir)).length === 2, 30_000, 'A to reconnect to B and M')
    await waitUntil(() => a.logs().includes('PRINCIPAL_CONFLICT') || a.logs().includes('bound to another org'), 20_000, 'A to refuse M\'s claim on bob')
      .catch((err: Error) => { throw new Error(`${err.message}\n--- A's logs\n${a.logs().slice(-6000)}`) })
    const again = await send(a.dir, ['--as', 'alice', '--to', bobKey.did, '--can', 'records/read', '--with', records])
    expect([again.outcome, again.targetOrg, again.output?.handledBy], JSON.stringify(again)).to.deep.equal(['ok', b.orgDid, 'bob'])

  })
})
