/**
 * Node key rotation (DESIGN 14, issue 19): `trustmesh identity rotate --node-key` makes a new node key
 * and says the node must restart; a second rotation (node or org key) before the restart is refused
 * (RESTART_PENDING). At the restart the node runs as the new PeerId with a NodeCredential the org key
 * issued for it, naming the old PeerId as replaced; globex accepts the new PeerId in hello and from
 * then on refuses the old one (KEY_RETIRED), even with a NodeCredential its org issues for it. An SDK
 * agent connected before the restart keeps working (its proofs' audience is the node's new DID).
 */
import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { createAgent, type Agent } from '../../client/agent.js'
import { agentKeyPath, cli, connectedOrgs, nodeStatus, startNode, stopAllNodes, waitUntil } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

async function ok<T = unknown> (dir: string, args: string[]): Promise<T> {
  const r = await cli(dir, ['--json', ...args], { timeoutMs: 60_000 })
  expect(r.code, `trustmesh ${args.join(' ')}: ${r.stderr}`).to.equal(0)
  return r.json<T>()
}

const peersOf = async (dir: string): Promise<Array<{ orgDid: string, peerId: string }>> => (await nodeStatus(dir))?.connectedPeers ?? []

describe('node key rotation: a new PeerId at restart, the old one refused by partners, real node processes', function () {
  this.timeout(150_000)
  let orgs: OrgTemplates
  const sdk = new Set<Agent>()
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex'])
  })
  afterEach(async () => { for (const a of sdk) await a.close().catch(() => {}); sdk.clear(); await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup() })

  it('rotates, restarts as the new PeerId, globex follows and refuses the old PeerId', async () => {
    const [a, b] = await Promise.all([startNode(orgs.copy('acme')), startNode(orgs.copy('globex'))])
    await Promise.all([ok(a.dir, ['peer', 'add', b.orgDid, '--addr', b.addr]), ok(b.dir, ['peer', 'add', a.orgDid, '--addr', a.addr])])
    await waitUntil(async () => (await connectedOrgs(b.dir)).includes(a.orgDid), 20_000, 'acme and globex to connect')
    await ok(a.dir, ['agent', 'create', 'alice', '--ring', '2', '--can', 'records/read'])
    const alice = await createAgent({ dataDir: a.dir, key: agentKeyPath(a.dir, 'alice'), acceptCheckMs: 0 })
    sdk.add(alice)
    const oldPeerId = a.peerId
    const originalNodeDid = (JSON.parse(readFileSync(`${a.dir}/identity.json`, 'utf8')) as { nodeDid: string }).nodeDid

    const rot = await ok<{ oldPeerId: string, newPeerId: string, restartRequired: boolean }>(a.dir, ['identity', 'rotate', '--node-key'])
    expect(rot.oldPeerId).to.equal(oldPeerId)
    expect(rot.newPeerId).to.not.equal(oldPeerId)
    expect(rot.restartRequired).to.equal(true)
    const human = await cli(a.dir, ['identity', 'rotate', '--node-key'])
    expect(human.code, 'a second rotation before the restart is refused').to.not.equal(0)
    expect(human.stderr).to.match(/RESTART_PENDING|restart the node/)
    const orgRot = await cli(a.dir, ['identity', 'rotate'])
    expect(orgRot.code).to.not.equal(0)
    expect(orgRot.stderr).to.match(/RESTART_PENDING|restart the node/)
    const half = await cli(a.dir, ['identity', 'rotate', '--node-key', '--pkcs11-module', '/x.so'])
    expect(half.code).to.equal(2)
    expect(half.stderr).to.match(/--pkcs11-module, --token and --pin-file go together/)
    const shown = await ok<{ peerId: string, restartPending?: { runningPeerId: string } }>(a.dir, ['identity', 'show'])
    expect(shown).to.deep.include({ peerId: rot.newPeerId, restartPending: { runningPeerId: oldPeerId } })
    const early = await cli(a.dir, ['identity', 'export', `${a.dir}/early.json`])
    expect(early.code, 'no identity file that names a PeerId the node does not run as yet').to.equal(2)
    expect(early.stderr).to.match(/waiting for the node's restart/)
    // until the restart the node still runs as the old PeerId
    expect((await peersOf(b.dir)).map(p => p.peerId)).to.include(oldPeerId)

    await a.stop()
    const a2 = await startNode(a.dir, { listen: `/ip4/127.0.0.1/tcp/${a.port}` })
    expect(a2.peerId).to.equal(rot.newPeerId)
    await waitUntil(async () => (await peersOf(b.dir)).some(p => p.orgDid === a.orgDid && p.peerId === rot.newPeerId), 20_000, 'globex to accept acme\'s new PeerId')
    expect(await ok<Record<string, unknown>>(a2.dir, ['identity', 'show'])).to.not.have.property('restartPending')
    const exported = await ok<{ peerId: string }>(a2.dir, ['identity', 'export', `${a.dir}/acme.json`])
    expect(exported.peerId).to.equal(rot.newPeerId)
    // the SDK agent connected before the restart: its next request names the new node as audience
    const me = await alice.me()
    expect(me.name).to.equal('alice')

    // the old node key runs a node again (identity restored): globex refuses the retired PeerId
    const id = JSON.parse(readFileSync(`${a.dir}/identity.json`, 'utf8')) as Record<string, unknown>
    await a2.stop()
    writeFileSync(`${a.dir}/identity.json`, JSON.stringify({ ...id, peerId: oldPeerId, nodeDid: originalNodeDid, nodeKey: 'node', previousPeerIds: [] }))
    const stale = await startNode(a.dir, { listen: `/ip4/127.0.0.1/tcp/${a.port}`, peers: [b.addr] })
    expect(stale.peerId).to.equal(oldPeerId)
    await waitUntil(() => /code=KEY_RETIRED/.test(b.logs()), 30_000, 'globex to refuse the retired PeerId')
    expect(b.logs()).to.match(/was retired by its org/)
    expect((await peersOf(b.dir)).map(p => p.peerId)).to.not.include(oldPeerId)
  })
})
