/**
 * Agents re-accept credentials re-issued at an org key rotation (DESIGN 2 and 14, issue 19): acme's
 * agent alice runs the SDK (client/agent.ts) with her own key; acme rotates its org key, the node
 * re-issues alice's AgentCredential under the new key, and the SDK countersigns the new credential by
 * itself (for the org that issued it, not the DID the node had when the agent connected). initech,
 * which never saw acme before the rotation and enrolled acme's old DID, follows the successor record,
 * binds alice by the new credential and her acceptance, and serves her task.
 */
import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { createAgent, type Agent } from '../../client/agent.js'
import { agentKeyPath, cli, connectedOrgs, startNode, stopAllNodes, waitUntil } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'
import { partnerReadPolicy, startExampleAgent, stopExampleAgents } from './example-agents.js'

const POLICY = partnerReadPolicy('reacceptance-test')
const sdk = new Set<Agent>()


async function ok<T = unknown> (dir: string, args: string[]): Promise<T> {
  const r = await cli(dir, ['--json', ...args], { timeoutMs: 60_000 })
  expect(r.code, `trustmesh ${args.join(' ')}: ${r.stderr}`).to.equal(0)
  return r.json<T>()
}

const issuerOf = (jwt: string): string => (JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { iss: string }).iss

describe('an agent re-accepts its credential re-issued at an org key rotation, real node processes', function () {
  this.timeout(150_000)
  let orgs: OrgTemplates
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'initech'])
  })
  afterEach(async () => {
    for (const a of sdk) await a.close().catch(() => {})
    sdk.clear()
    await stopExampleAgents()
    await stopAllNodes()
    orgs.cleanupCopies()
  })
  after(() => { orgs?.cleanup() })

  it('the SDK countersigns the re-issued credential; a partner that never saw the old one binds alice and serves her', async () => {
    const [da, dc] = (['acme', 'initech'] as const).map(o => { const d = orgs.copy(o); writeFileSync(`${d}/policy.yaml`, POLICY); return d })
    const a = await startNode(da)
    const oldDid = a.orgDid
    const alice = await ok<{ did: string }>(a.dir, ['agent', 'create', 'alice', '--ring', '2', '--can', 'records/read'])
    const agent = await createAgent({ dataDir: a.dir, key: agentKeyPath(a.dir, 'alice'), acceptCheckMs: 200 })
    sdk.add(agent)
    const listed = async (): Promise<{ accepted: boolean, credential: string }> => {
      const r = await cli(a.dir, ['--json', 'agent', 'list'])
      expect(r.code, r.stderr).to.equal(0)
      const me = r.json<Array<{ name: string, accepted: boolean }>>().find(x => x.name === 'alice')
      // agent list leaves the credential out; the agent API shows it
      const info = await agent.request<{ credential: string, accepted: boolean }>('GET', '/v1/agent/me')
      return { accepted: me?.accepted === true && info.accepted, credential: info.credential }
    }
    expect((await listed()).accepted).to.equal(true)

    const rot = await ok<{ newDid: string, reissued: { agents: number } }>(a.dir, ['identity', 'rotate'])
    expect(rot.reissued.agents).to.equal(1)
    const newDid = rot.newDid
    // the re-issued credential is not accepted yet (the old acceptance does not cover it) ...
    const right = await listed()
    expect(issuerOf(right.credential)).to.equal(newDid)
    // ... until the SDK, checking every 200 ms, countersigns it for the org that issued it
    await waitUntil(async () => { const l = await listed(); return l.accepted && issuerOf(l.credential) === newDid }, 15_000, 'the SDK to accept the re-issued credential')
    expect(a.logs()).to.match(/agent accepted its credential/)

    // initech enrolled acme's old DID (known out of band before the rotation) and never met acme
    const c = await startNode(dc)
    await ok(c.dir, ['peer', 'add', oldDid, '--addr', a.addr])
    await ok(a.dir, ['peer', 'add', c.orgDid, '--addr', c.addr])
    await waitUntil(async () => (await connectedOrgs(c.dir)).includes(newDid), 20_000, 'initech to follow acme to its new DID')
    const peers = (await ok<Array<{ orgDid: string }>>(c.dir, ['peer', 'list'])).map(p => p.orgDid)
    expect(peers, 'the old enrolment is kept beside the new one').to.include.members([oldDid, newDid])

    const carol = await ok<{ did: string }>(c.dir, ['agent', 'create', 'carol', '--ring', '2', '--can', 'records/read'])
    await startExampleAgent(c.dir, 'carol')
    const g = await ok<{ cid: string }>(c.dir, ['delegation', 'grant', '--from', 'carol', '--to', alice.did, '--can', 'records/read', '--with', `tm:${c.orgDid}/records`, '--ttl', '1h'])
    await waitUntil(async () => (await agent.delegations()).some(d => d.cid === g.cid), 15_000, 'carol\'s delegation to reach alice')
    const r = await cli(a.dir, ['--json', 'task', 'send', '--timeout', '20000', '--as', 'alice', '--to', carol.did, '--can', 'records/read', '--with', `tm:${c.orgDid}/records/1`, '--args', '{}', '--proof', g.cid], { timeoutMs: 40_000 })
    const out = r.json<{ outcome: string, code: string, reason?: string }>()
    expect(out.outcome, JSON.stringify(out)).to.equal('ok')
  })
})
