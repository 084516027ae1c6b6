import { expect } from 'chai'
import { certificatesToPem, createTrustBundle, parseBundleFile, BundleErrorCode } from '../../../../node/services/spiffe/bundle-file.js'
import { svidFixtures, type SvidFixtures } from './svid-fixtures.js'
import { concat } from './test-pki.js'

describe('spiffe/parseBundleFile', function () {
  let f: SvidFixtures
  before(async function () { f = await svidFixtures() })

  it('reads PEM with several certificates', function () {
    const r = parseBundleFile(certificatesToPem([f.acmeRoot.der, f.acmeInter.der]))
    expect(r.ok, JSON.stringify(r)).to.equal(true)
    if (r.ok) {
      expect(r.value).to.have.length(2)
      expect(Buffer.from(r.value[0]).equals(Buffer.from(f.acmeRoot.der))).to.equal(true)
    }
  })

  it('reads concatenated DER bytes and PEM bytes', function () {
    expect(parseBundleFile(concat(f.acmeRoot.der, f.globexRoot.der)).ok).to.equal(true)
    expect(parseBundleFile(new Uint8Array(Buffer.from(certificatesToPem([f.acmeRoot.der])))).ok).to.equal(true)
  })

  it('reads a SPIFFE JWKS bundle (x509-svid keys with x5c), ignoring jwt-svid keys', function () {
    const jwks = JSON.stringify({ keys: [{ use: 'x509-svid', kty: 'EC', x5c: [Buffer.from(f.acmeRoot.der).toString('base64')] }, { use: 'jwt-svid', kty: 'EC' }] })
    const r = parseBundleFile(jwks)
    expect(r.ok && r.value.length).to.equal(1)
  })

  const bad: Array<[string, () => string | Uint8Array, string]> = [
    ['empty text', () => '', BundleErrorCode.EMPTY],
    ['a private key block', () => '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', BundleErrorCode.MALFORMED],
    ['an unterminated block', () => '-----BEGIN CERTIFICATE-----\nAAAA\n', BundleErrorCode.MALFORMED],
    ['a PEM body that is not a certificate', () => '-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n', BundleErrorCode.MALFORMED],
    ['a leaf (not a CA)', () => certificatesToPem([f.good.der]), BundleErrorCode.NOT_CA],
    ['JWKS without keys', () => '{"x":1}', BundleErrorCode.MALFORMED],
    ['JWKS with two x5c entries', () => JSON.stringify({ keys: [{ use: 'x509-svid', x5c: ['AA==', 'AA=='] }] }), BundleErrorCode.MALFORMED],
    ['DER with trailing garbage', () => concat(f.acmeRoot.der, new Uint8Array([1, 2])), BundleErrorCode.MALFORMED]
  ]
  for (const [name, make, code] of bad) {
    it(`refuses ${name} with ${code}`, function () {
      const r = parseBundleFile(make())
      expect(r.ok).to.equal(false)
      if (!r.ok) expect(r.error.code, r.error.message).to.equal(code)
    })
  }

  it('a trust bundle is bound to one valid trust domain', function () {
    const r = createTrustBundle('acme.test', certificatesToPem([f.acmeRoot.der]))
    expect(r.ok && r.value.trustDomain).to.equal('acme.test')
    expect(createTrustBundle('Acme', certificatesToPem([f.acmeRoot.der])).ok).to.equal(false)
  })
})
