import { expect } from 'chai'
import { validateX509Svid, SvidErrorCode } from '../../../../node/services/spiffe/validate-svid.js'
import { ACME_ID, GLOBEX_ID, svidFixtures, type SvidFixtures } from './svid-fixtures.js'
import { concat, T0 } from './test-pki.js'

describe('spiffe/validateX509Svid', function () {
  let f: SvidFixtures
  before(async function () { f = await svidFixtures() })

  const acme = (now = T0): { trustDomain: string, expectedSpiffeId: string, now: number } => ({ trustDomain: 'acme.test', expectedSpiffeId: ACME_ID, now })

  it('accepts a leaf chained through an intermediate to the partner root', function () {
    const r = validateX509Svid([f.good.der, f.acmeInter.der], [f.acmeRoot.der], acme())
    expect(r.ok, JSON.stringify(r)).to.equal(true)
    if (!r.ok) return
    expect(r.value.spiffeId).to.equal(ACME_ID)
    expect(r.value.trustDomain).to.equal('acme.test')
    expect(r.value.notAfter).to.equal(T0 + 24 * 3600 * 1000)
    expect(r.value.leafCertSha256).to.match(/^[0-9a-f]{64}$/)
  })

  it('accepts concatenated DER chain and bundle, and a leaf signed by the root directly', function () {
    expect(validateX509Svid(f.goodChain, f.acmeRoot.der, acme()).ok).to.equal(true)
    expect(validateX509Svid([f.direct.der], [f.globexRoot.der, f.acmeRoot.der], acme()).ok).to.equal(true)
  })

  it('accepts without an expected ID but still checks the trust domain', function () {
    expect(validateX509Svid(f.goodChain, [f.acmeRoot.der], { trustDomain: 'acme.test', now: T0 }).ok).to.equal(true)
  })

  const cases: Array<[string, (f: SvidFixtures) => { chain: Uint8Array[], bundle: Uint8Array[], td?: string, id?: string, now?: number }, string]> = [
    ['an SVID of a trust domain the bundle is not for', f => ({ chain: [f.wrongTd.der, f.acmeInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.WRONG_TRUST_DOMAIN],
    ['a partner SVID checked against the wrong partner bundle', f => ({ chain: [f.globexLeaf.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.WRONG_TRUST_DOMAIN],
    ['a valid chain to another trust domain root (bundles never merged)', f => ({ chain: [f.globexLeaf.der], bundle: [f.acmeRoot.der], td: 'globex.test', id: GLOBEX_ID }), SvidErrorCode.UNKNOWN_ISSUER],
    ['two URI SANs', f => ({ chain: [f.twoUris.der, f.acmeInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.BAD_URI_SAN],
    ['no URI SAN', f => ({ chain: [f.noUri.der, f.acmeInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.BAD_URI_SAN],
    ['a non-SPIFFE URI SAN', f => ({ chain: [f.httpsUri.der, f.acmeInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.BAD_URI_SAN],
    ['a CA leaf', f => ({ chain: [f.caLeaf.der, f.acmeInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.LEAF_IS_CA],
    ['a leaf without digitalSignature', f => ({ chain: [f.noDigitalSig.der, f.acmeInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.BAD_KEY_USAGE],
    ['a leaf with keyCertSign', f => ({ chain: [f.certSignLeaf.der, f.acmeInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.BAD_KEY_USAGE],
    ['a leaf without keyUsage', f => ({ chain: [f.noKeyUsage.der, f.acmeInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.BAD_KEY_USAGE],
    ['an expired leaf', f => ({ chain: [f.expired.der, f.acmeInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.EXPIRED],
    ['a good leaf after its notAfter', f => ({ chain: [f.good.der, f.acmeInter.der], bundle: [f.acmeRoot.der], now: T0 + 2 * 24 * 3600 * 1000 }), SvidErrorCode.EXPIRED],
    ['a leaf not yet valid', f => ({ chain: [f.notYetValid.der, f.acmeInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.NOT_YET_VALID],
    ['an unknown issuer with the same CA name', f => ({ chain: [f.rogue.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.UNKNOWN_ISSUER],
    ['a chain missing its intermediate', f => ({ chain: [f.good.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.UNKNOWN_ISSUER],
    ['a leaf issued by a non-CA intermediate', f => ({ chain: [f.viaNonCa.der, f.nonCaInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.UNKNOWN_ISSUER],
    ['an expired intermediate', f => ({ chain: [f.viaExpiredInter.der, f.expiredInter.der], bundle: [f.acmeRoot.der] }), SvidErrorCode.EXPIRED],
    ['a different enrolled SPIFFE ID', f => ({ chain: [f.good.der, f.acmeInter.der], bundle: [f.acmeRoot.der], id: 'spiffe://acme.test/other' }), SvidErrorCode.ID_MISMATCH],
    ['garbage bytes', () => ({ chain: [new Uint8Array([0x30, 0x03, 1, 2, 3])], bundle: [] }), SvidErrorCode.MALFORMED],
    ['an empty bundle', f => ({ chain: [f.good.der], bundle: [] }), SvidErrorCode.MALFORMED],
    ['an empty chain', f => ({ chain: [], bundle: [f.acmeRoot.der] }), SvidErrorCode.MALFORMED],
    ['a truncated certificate', f => ({ chain: [f.good.der.subarray(0, f.good.der.length - 5)], bundle: [f.acmeRoot.der] }), SvidErrorCode.MALFORMED]
  ]
  for (const [name, make, code] of cases) {
    it(`refuses ${name} with ${code}`, function () {
      const c = make(f)
      const r = validateX509Svid(c.chain, c.bundle, { trustDomain: c.td ?? 'acme.test', expectedSpiffeId: c.id ?? ACME_ID, now: c.now ?? T0 })
      expect(r.ok).to.equal(false)
      if (!r.ok) expect(r.error.code, r.error.message).to.equal(code)
    })
  }

  it('refuses trailing garbage after a concatenated chain', function () {
    const r = validateX509Svid(concat(f.goodChain, new Uint8Array([0])), [f.acmeRoot.der], acme())
    expect(r.ok).to.equal(false)
    if (!r.ok) expect(r.error.code).to.equal(SvidErrorCode.MALFORMED)
  })

  it('refuses a malformed configured trust domain', function () {
    const r = validateX509Svid(f.goodChain, [f.acmeRoot.der], { trustDomain: 'ACME.test', now: T0 })
    expect(r.ok).to.equal(false)
    if (!r.ok) expect(r.error.code).to.equal(SvidErrorCode.WRONG_TRUST_DOMAIN)
  })
})
