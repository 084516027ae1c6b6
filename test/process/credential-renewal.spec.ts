/**
 * NodeCredentials renewed while the node runs (DESIGN 14): acme runs with a short credential lifetime;
 * without a restart it issues fresh NodeCredentials before expiry, and globex's hello state for the
 * same connection follows (a later expiry, same connection age), so the partners stay connected.
 */
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { cli, connectedOrgs, nodeStatus, startNode, stopAllNodes, waitUntil } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

interface Status { connectedPeers: Array<{ orgDid: string, since: string, credentialExpiresAt: string }>, credentials?: { renewals: number, nodeCredentialExpiresAt: string } }

describe('NodeCredential renewal while running, real node processes', function () {
  this.timeout(90_000)
  let orgs: OrgTemplates
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex'])
  })
  afterEach(async () => { await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup() })

  it('acme renews before expiry without a restart and globex\'s hello state follows on the same connection', async () => {
    const env = { TRUSTMESH_NODE_CREDENTIAL_TTL_S: '16', TRUSTMESH_CREDENTIAL_RENEW_BEFORE_S: '8', TRUSTMESH_CREDENTIAL_CHECK_MS: '250' }
    const [a, b] = await Promise.all([startNode(orgs.copy('acme'), { env }), startNode(orgs.copy('globex'))])
    for (const [x, y] of [[a, b], [b, a]]) {
      const r = await cli(x.dir, ['--json', 'peer', 'add', y.orgDid, '--addr', y.addr])
      expect(r.code, r.stderr).to.equal(0)
    }
    await waitUntil(async () => (await connectedOrgs(a.dir)).includes(b.orgDid) && (await connectedOrgs(b.dir)).includes(a.orgDid), 20_000, 'acme and globex to connect')
    const view = async (): Promise<Status['connectedPeers'][number] | undefined> => ((await nodeStatus(b.dir)) as unknown as Status | undefined)?.connectedPeers.find(p => p.orgDid === a.orgDid)
    const first = await view()
    expect(first).to.not.equal(undefined)
    const firstJwt = readFileSync(`${a.dir}/node-credential.jwt`, 'utf8')
    // the template's 30-day credential was replaced at start by a 16 s one
    expect(Date.parse(first!.credentialExpiresAt) - Date.now()).to.be.lessThan(20_000)

    await waitUntil(async () => {
      const v = await view()
      return v != null && Date.parse(v.credentialExpiresAt) > Date.parse(first!.credentialExpiresAt)
    }, 30_000, 'globex to hold acme\'s renewed credential')
    const later = await view()
    expect(later!.since, 'the same connection').to.equal(first!.since)
    expect(readFileSync(`${a.dir}/node-credential.jwt`, 'utf8')).to.not.equal(firstJwt)
    const s = (await nodeStatus(a.dir)) as unknown as Status
    expect(s.credentials?.renewals).to.be.greaterThan(0)
    expect(a.proc.exitCode).to.equal(null)
    expect(a.logs()).to.match(/NodeCredential renewed/)
    // past the first credential's expiry the partners are still connected
    await waitUntil(() => Date.now() > Date.parse(first!.credentialExpiresAt) + 1000, 20_000, 'the first credential to expire')
    expect(await connectedOrgs(b.dir)).to.include(a.orgDid)
  })
})
