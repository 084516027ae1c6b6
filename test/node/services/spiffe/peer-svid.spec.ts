import { expect } from 'chai'
import { presentSvid, verifyPeerSvid } from '../../../../node/services/spiffe/peer-svid.js'
import { parseCertificate } from '../../../../node/services/spiffe/certificate-fields.js'
import type { X509Svid } from '../../../../node/services/spiffe/x509-svid.js'
import { acme, globex } from '../../../helpers/principals.js'
import { ACME_ID, svidFixtures, type SvidFixtures } from './svid-fixtures.js'
import { T0 } from './test-pki.js'

describe('spiffe/presentSvid + verifyPeerSvid', function () {
  let f: SvidFixtures
  let svid: X509Svid
  const PEER = '12D3KooWAcmeNode'
  before(async function () {
    f = await svidFixtures()
    svid = { spiffeId: ACME_ID, trustDomain: 'acme.test', chain: [f.good.der, f.acmeInter.der], privateKey: f.good.key, bundle: [f.acmeRoot.der], hint: '', notAfter: parseCertificate(f.good.der).notAfter }
  })
  const expectFor = (over: object = {}): Parameters<typeof verifyPeerSvid>[1] => ({
    bundle: { trustDomain: 'acme.test', certs: [f.acmeRoot.der] }, expectedSpiffeId: ACME_ID, orgDid: acme.did, peerId: PEER, now: T0, ...over
  })

  it('round-trips for the right partner bundle, org and peer', async function () {
    const r = verifyPeerSvid(await presentSvid(acme, svid, PEER, T0), expectFor())
    expect(r.ok, JSON.stringify(r)).to.equal(true)
  })

  it('fails closed on each mismatch', async function () {
    const presented = await presentSvid(acme, svid, PEER, T0)
    const codes = [
      verifyPeerSvid(presented, expectFor({ peerId: '12D3KooWOther' })),
      verifyPeerSvid(presented, expectFor({ orgDid: globex.did })),
      verifyPeerSvid(presented, expectFor({ bundle: { trustDomain: 'globex.test', certs: [f.globexRoot.der] } })),
      verifyPeerSvid(await presentSvid(globex, svid, PEER, T0), expectFor()),
      verifyPeerSvid({ ...presented, chain: [] }, expectFor()),
      verifyPeerSvid('junk', expectFor())
    ].map(r => r.ok ? 'OK' : r.error.code)
    expect(codes).to.deep.equal(['SVID_BINDING_WRONG_PEER', 'SVID_BINDING_WRONG_ORG', 'SVID_WRONG_TRUST_DOMAIN', 'SVID_BINDING_WRONG_ORG', 'SVID_MALFORMED', 'SVID_MALFORMED'])
  })
})
