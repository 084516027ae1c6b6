/**
 * The SPIFFE feature in-process, with a fake clock and the fake Workload API: what it adds to hello
 * (the current SVID and a binding that verifies; nothing once the SVID expired), its status, the
 * partner check against the enrolled bundle only, and a clear start failure when the socket is dead.
 */
import { expect } from 'chai'
import { createSpiffeService, enrolledSpiffe } from '../../../../node/services/spiffe/spiffe-service.js'
import { certificatesToPem, verifyPeerSvid, presentSvid, parseBundleFile } from '../../../../node/services/spiffe/index.js'
import { parseCertificate } from '../../../../node/services/spiffe/certificate-fields.js'
import type { Service } from '../../../../node/components.js'
import type { HelloMessage } from '../../../../protocols/hello/messages.js'
import type { VerifyHelloOptions } from '../../../../node/mesh/verify-hello.js'
import { silentLogger } from '../../../../identity/logger.js'
import { fakeClock, type FakeClock } from '../../../helpers/clock.js'
import { acme, globex } from '../../../helpers/principals.js'
import { ACME_ID, GLOBEX_ID, svidFixtures, type SvidFixtures } from './svid-fixtures.js'
import { eventually, startFakeWorkloadApi, x509Response, type FakeWorkloadApi } from './fake-workload-api.js'
import { T0 } from './test-pki.js'

const PEER = '12D3KooWAcmeNode'

interface Harness {
  feature: Service
  /** What the service adds to hello: one extension while it presents an SVID, none otherwise. */
  readonly extensions: Array<() => Partial<HelloMessage>>
  verify: () => NonNullable<VerifyHelloOptions['verifySpiffe']>
  status: () => Record<string, unknown> | undefined
}

function harness (clock: FakeClock, spiffeSocket?: string, readyTimeoutMs = 2_000): Harness {
  const ctx = {
    clock,
    logger: silentLogger(),
    orgSigner: acme,
    identity: { orgDid: acme.did, peerId: PEER, orgName: 'acme' }
  } as unknown as Parameters<typeof createSpiffeService>[0]
  const feature = createSpiffeService(ctx, { readyTimeoutMs, ...(spiffeSocket != null ? { socket: spiffeSocket } : {}) })
  return {
    feature,
    get extensions () { return feature.presenting() ? [feature.hello.fields] : [] },
    verify: (): NonNullable<VerifyHelloOptions['verifySpiffe']> => feature.hello.verifySpiffe,
    status: () => feature.status?.() as Record<string, unknown> | undefined
  }
}

const hello = (spiffe?: HelloMessage['spiffe']): HelloMessage => ({ v: 1, nodeCredential: 'x'.repeat(16), orgName: 'acme', software: 't', policyDigest: 'd', ...(spiffe != null ? { spiffe } : {}) })

describe('features/spiffe-feature', function () {
  let f: SvidFixtures
  let api: FakeWorkloadApi | undefined
  let h: Harness | undefined
  before(async function () { this.timeout(20_000); f = await svidFixtures() })
  afterEach(async () => { await h?.feature.stop?.(); h = undefined; await api?.stop(); api = undefined })

  const acmeEnrolment = (over: object = {}): { orgDid: string, spiffe: unknown } => ({ orgDid: acme.did, spiffe: { bundlePem: certificatesToPem([f.acmeRoot.der]), spiffeId: ACME_ID, ...over } })

  it('presents the current SVID with a binding that verifies, follows a rotation, and presents nothing once expired', async () => {
    const clock = fakeClock(T0)
    api = await startFakeWorkloadApi()
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    h = harness(clock, api.address)
    await h.feature.start?.()
    expect(h.extensions).to.have.length(1)
    const present = (): HelloMessage['spiffe'] => h?.extensions[0]().spiffe
    const first = present()
    expect(first?.svidChain[0]).to.equal(Buffer.from(f.good.der).toString('base64'))
    const check = (p: HelloMessage['spiffe'], peerId = PEER): string => {
      const r = verifyPeerSvid({ chain: p?.svidChain, binding: p?.binding }, { bundle: { trustDomain: 'acme.test', certs: [f.acmeRoot.der] }, expectedSpiffeId: ACME_ID, orgDid: acme.did, peerId, now: T0 })
      return r.ok ? r.value.spiffeId : r.error.code
    }
    expect(check(first)).to.equal(ACME_ID)
    expect(check(first, '12D3KooWSomeoneElse'), 'the binding names our PeerId only').to.equal('SVID_BINDING_WRONG_PEER')
    expect(h.status()).to.deep.include({ state: 'ready', spiffeId: ACME_ID, svidExpiresAt: new Date(parseCertificate(f.good.der).notAfter).toISOString() })

    api.pushX509(x509Response(ACME_ID, f.rotatedChain, f.rotated.key, f.acmeRoot.der))
    await eventually(() => present()?.svidChain[0] === Buffer.from(f.rotated.der).toString('base64'), 3000, 'the rotated SVID in hello')
    expect(check(present())).to.equal(ACME_ID)

    clock.set(parseCertificate(f.rotated.der).notAfter + 1000)
    expect(h.extensions[0]()).to.deep.equal({})
    expect(h.status()).to.deep.include({ state: 'unavailable' })
    expect(h.status()).to.not.have.property('spiffeId')

    await h.feature.stop?.()
    expect(h.extensions).to.have.length(0)
    expect(h.status()).to.deep.include({ state: 'stopped' })
  })

  it('without a socket: no status, nothing in hello, but partners are still checked against their own enrolled bundle', async () => {
    h = harness(fakeClock(T0))
    await h.feature.start?.()
    expect(h.extensions).to.have.length(0)
    expect(h.status()).to.equal(undefined)
    const svid = { spiffeId: ACME_ID, trustDomain: 'acme.test', chain: [f.good.der, f.acmeInter.der], privateKey: f.good.key, bundle: [f.acmeRoot.der], hint: '', notAfter: parseCertificate(f.good.der).notAfter }
    const p = await presentSvid(acme, svid, PEER, T0)
    const sp = { svidChain: [...p.chain], binding: p.binding }
    const code = (r: ReturnType<ReturnType<Harness['verify']>>): string => r.ok ? r.value : r.error.code
    const v = h.verify()
    expect(code(v(hello(sp), acmeEnrolment(), PEER))).to.equal(ACME_ID)
    expect(code(v(hello(), acmeEnrolment(), PEER))).to.equal('SPIFFE_REQUIRED')
    expect(code(v(hello(sp), acmeEnrolment(), '12D3KooWOther'))).to.equal('SVID_BINDING_WRONG_PEER')
    expect(code(v(hello(sp), acmeEnrolment({ spiffeId: 'spiffe://acme.test/other' }), PEER))).to.equal('SVID_ID_MISMATCH')
    // globex's bundle, or acme's SVID claimed for globex: never merged, never accepted
    expect(code(v(hello(sp), acmeEnrolment({ bundlePem: certificatesToPem([f.globexRoot.der]) }), PEER))).to.equal('SVID_UNKNOWN_ISSUER')
    expect(code(v(hello(sp), { orgDid: globex.did, spiffe: { bundlePem: certificatesToPem([f.globexRoot.der]), spiffeId: GLOBEX_ID } }, PEER))).to.equal('SVID_WRONG_TRUST_DOMAIN')
    expect(code(v(hello(sp), acmeEnrolment({ bundlePem: 'junk' }), PEER))).to.equal('SPIFFE_BAD_ENROLMENT')
    expect(code(v(hello(sp), { orgDid: acme.did, spiffe: 'nope' }, PEER))).to.equal('SPIFFE_BAD_ENROLMENT')
  })

  it('start fails with SPIFFE_UNAVAILABLE and a clear message when the socket is unreachable', async () => {
    h = harness(fakeClock(T0), 'unix:///tmp/tm-no-such-dir/agent.sock', 300)
    let err: (Error & { code?: string }) | undefined
    try { await h.feature.start?.() } catch (e) { err = e as Error & { code?: string } }
    expect(err?.code).to.equal('SPIFFE_UNAVAILABLE')
    expect(err?.message).to.match(/^SPIFFE is configured \(unix:\/\/\/tmp\/tm-no-such-dir\/agent\.sock\) but the node has no valid X509-SVID from it, so it does not start/)
    expect(err?.message).to.not.include('\n')
    expect(h.extensions).to.have.length(0)
    expect(h.status()).to.deep.include({ state: 'unavailable' })
  })

  it('enrolledSpiffe parses the enrolled bundle for the trust domain of the enrolled ID', () => {
    const r = enrolledSpiffe({ bundlePem: certificatesToPem([f.acmeRoot.der]), spiffeId: ACME_ID })
    expect(r.ok && r.value.bundle.trustDomain).to.equal('acme.test')
    expect(parseBundleFile(certificatesToPem([f.good.der])).ok).to.equal(false)
    const bad = enrolledSpiffe({ bundlePem: certificatesToPem([f.good.der]), spiffeId: ACME_ID })
    expect(bad.ok ? 'OK' : bad.error.message).to.match(/BUNDLE_NOT_CA/)
  })
})
