import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { issueSvidBinding, verifySvidBinding, SvidBindingErrorCode } from '../../../../node/services/spiffe/svid-binding.js'
import { acme, globex } from '../../../helpers/principals.js'

describe('spiffe/svid-binding', function () {
  const leaf = new Uint8Array([0x30, 1, 2, 3, 4])
  const otherLeaf = new Uint8Array([0x30, 9, 9])
  const ID = 'spiffe://acme.test/trustmesh/node'
  const PEER = '12D3KooWAcmeNodePeer'
  const iat = Math.floor(Date.UTC(2026, 0, 1) / 1000)
  const now = Date.UTC(2026, 0, 1, 1)
  let token: string
  before(async function () { token = await issueSvidBinding(acme, { spiffeId: ID, peerId: PEER, leaf, issuedAt: iat, expiresAt: iat + 86400 }) })

  it('verifies for the right org, peer, leaf and SPIFFE ID', function () {
    const r = verifySvidBinding(token, { orgDid: acme.did, peerId: PEER, leaf, spiffeId: ID, now })
    expect(r.ok, JSON.stringify(r)).to.equal(true)
    if (r.ok) expect(r.value).to.deep.include({ spiffeId: ID, orgDid: acme.did, peerId: PEER, leafCertSha256: createHash('sha256').update(leaf).digest('hex') })
  })

  it('accepts the leaf as its hex SHA-256', function () {
    expect(verifySvidBinding(token, { orgDid: acme.did, peerId: PEER, leaf: createHash('sha256').update(leaf).digest('hex') }).ok).to.equal(true)
  })

  const cases: Array<[string, () => Promise<unknown> | unknown, object, string]> = [
    ['another org', () => token, { orgDid: globex.did }, SvidBindingErrorCode.WRONG_ORG],
    ['another peer', () => token, { peerId: '12D3KooWOther' }, SvidBindingErrorCode.WRONG_PEER],
    ['another leaf', () => token, { leaf: otherLeaf }, SvidBindingErrorCode.WRONG_LEAF],
    ['another SPIFFE ID', () => token, { spiffeId: 'spiffe://acme.test/other' }, SvidBindingErrorCode.WRONG_SPIFFE_ID],
    ['after exp', () => token, { now: (iat + 86400) * 1000 }, SvidBindingErrorCode.EXPIRED],
    ['before iat', () => token, { now: (iat - 10) * 1000 }, SvidBindingErrorCode.NOT_YET_VALID],
    ['a tampered payload', () => { const [h, p, s] = token.split('.'); const o = JSON.parse(Buffer.from(p, 'base64url').toString()); o.peerId = 'x'; return `${h}.${Buffer.from(JSON.stringify(o)).toString('base64url')}.${s}` }, { peerId: 'x' }, 'BAD_SIGNATURE'],
    ['a binding signed by another key claiming acme', async () => {
      const t = await issueSvidBinding(globex, { spiffeId: ID, peerId: PEER, leaf, issuedAt: iat, expiresAt: iat + 86400 })
      const [h, p] = t.split('.')
      const o = JSON.parse(Buffer.from(p, 'base64url').toString()); o.iss = acme.did; o.orgDid = acme.did
      const forged = `${h}.${Buffer.from(JSON.stringify(o)).toString('base64url')}`
      return `${forged}.${Buffer.from(await globex.sign(new Uint8Array(Buffer.from(forged)))).toString('base64url')}`
    }, {}, 'BAD_SIGNATURE'],
    ['not a token', () => 'nope', {}, 'MALFORMED_TOKEN'],
    ['a token of another type', async () => await import('../../../../identity/jwt.js').then(async m => await m.signJwt({ typ: 'other' }, acme)), {}, SvidBindingErrorCode.MALFORMED]
  ]
  for (const [name, make, over, code] of cases) {
    it(`refuses ${name} with ${code}`, async function () {
      const r = verifySvidBinding(await make(), { orgDid: acme.did, peerId: PEER, leaf, spiffeId: ID, now, ...over })
      expect(r.ok).to.equal(false)
      if (!r.ok) expect(r.error.code, r.error.message).to.equal(code)
    })
  }

  it('issue refuses a bad SPIFFE ID or times', async function () {
    let threw = 0
    for (const input of [{ spiffeId: 'spiffe://ACME/x', expiresAt: iat + 1 }, { spiffeId: ID, expiresAt: iat }]) {
      try { await issueSvidBinding(acme, { peerId: PEER, leaf, issuedAt: iat, ...input }) } catch { threw++ }
    }
    expect(threw).to.equal(2)
  })
})
