/** Three real node processes on loopback, enrolled pairwise: every node shows two connected partners. */
import { expect } from 'chai'
import { cli, connectedOrgs, startNode, stopAllNodes, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

describe('three node processes on loopback', function () {
  this.timeout(60_000)
  let orgs: OrgTemplates
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex', 'initech'])
  })
  afterEach(async () => { await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup() })

  it('A, B and C enrolled pairwise all show 2 connected peers', async () => {
    const nodes: NodeProcess[] = await Promise.all((['acme', 'globex', 'initech'] as const).map(async o => await startNode(orgs.copy(o))))
    await Promise.all(nodes.flatMap(n => nodes.filter(o => o !== n).map(async o => {
      const r = await cli(n.dir, ['--json', 'peer', 'add', o.orgDid, '--addr', o.addr])
      expect(r.code, r.stderr).to.equal(0)
    })))
    await waitUntil(async () => (await Promise.all(nodes.map(async n => (await connectedOrgs(n.dir)).length))).every(c => c === 2), 20_000, 'every node to have 2 connected partners')
    for (const n of nodes) {
      const r = await cli(n.dir, ['--json', 'peer', 'list'])
      const list = r.json<Array<{ orgDid: string, connected: boolean }>>()
      expect(list.filter(p => p.connected).map(p => p.orgDid).sort()).to.deep.equal(nodes.filter(o => o !== n).map(o => o.orgDid).sort())
    }
  })
})
