/**
 * `identity export FILE` and `peer add --from-file` (DESIGN 3): acme exports its identity from its
 * running node; globex enrols acme from the file alone (DID, name and addresses from it) and the two
 * connect; a file whose NodeCredential was not issued by the DID it names is refused.
 */
import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { cli, connectedOrgs, startNode, stopAllNodes, waitUntil } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

describe('identity export and peer add --from-file, real node processes', function () {
  this.timeout(60_000)
  let orgs: OrgTemplates
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex'])
  })
  afterEach(async () => { await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup() })

  it('globex enrols acme from acme\'s exported file and they connect; a forged file is refused', async () => {
    const [a, b] = await Promise.all([startNode(orgs.copy('acme')), startNode(orgs.copy('globex'))])
    const file = `${a.dir}/acme.identity.json`
    const ex = await cli(a.dir, ['--json', 'identity', 'export', file])
    expect(ex.code, ex.stderr).to.equal(0)
    const body = JSON.parse(readFileSync(file, 'utf8')) as { orgDid: string, orgName: string, peerId: string, nodeCredential: string, addrs: string[], successors: string[] }
    expect(body).to.include({ orgDid: a.orgDid, orgName: 'acme', peerId: a.peerId })
    expect(body.nodeCredential.split('.')).to.have.length(3)
    expect(body.addrs).to.include(a.addr)
    expect(body.successors).to.deep.equal([])
    expect(readFileSync(file, 'utf8')).to.not.match(/passphrase|seed|ciphertext/i)

    // a file claiming globex's DID with acme's credential does not verify
    const forged = `${a.dir}/forged.json`
    writeFileSync(forged, JSON.stringify({ ...body, orgDid: b.orgDid }))
    const bad = await cli(b.dir, ['--json', 'peer', 'add', '--from-file', forged])
    expect(bad.code).to.equal(1)
    expect(bad.stderr).to.match(/ISSUER|BAD_SIGNATURE|INVALID/)

    const add = await cli(b.dir, ['--json', 'peer', 'add', '--from-file', file])
    expect(add.code, add.stderr).to.equal(0)
    expect(add.json<{ orgDid: string, name?: string }>()).to.include({ orgDid: a.orgDid })
    const back = await cli(a.dir, ['--json', 'peer', 'add', b.orgDid])
    expect(back.code, back.stderr).to.equal(0)
    await waitUntil(async () => (await connectedOrgs(a.dir)).includes(b.orgDid) && (await connectedOrgs(b.dir)).includes(a.orgDid), 20_000, 'globex to dial acme from the file\'s addresses')
  })
})
