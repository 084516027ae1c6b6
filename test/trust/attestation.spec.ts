import { expect } from 'chai'
import { signJwt } from '../../identity/jwt.js'
import { ATTESTATION_TYP, issueAttestation, shouldPublish, verifyAttestation, type VerifyAttestationOptions } from '../../trust/attestation.js'
import { acme, alice, bob, globex, initech, mallory } from '../helpers/principals.js'
import { fakeClock, type FakeClock } from '../helpers/clock.js'

const T0 = Date.UTC(2026, 0, 1)
const N = T0 / 1000
const EV = { ok: 40, error: 2, denied: 1, timeout: 0 }
const enrolled = new Set([acme.did, globex.did])
// alice is an acme agent, bob a globex agent
const orgs = new Map([[alice.did, acme.did], [bob.did, globex.did]])

function opts (clock: FakeClock, extra: Partial<VerifyAttestationOptions> = {}): VerifyAttestationOptions {
  return { isEnrolledOrg: d => enrolled.has(d), clock, orgOf: d => orgs.get(d) ?? (enrolled.has(d) ? d : undefined), ...extra }
}

function raw (payload: Record<string, unknown>, signer = acme, header: Record<string, unknown> = { typ: ATTESTATION_TYP }): Promise<string> {
  return signJwt({ iss: acme.did, sub: bob.did, score: 800, evidence: EV, iat: N, exp: N + 3600, jti: 'j1', ...payload }, signer, header)
}

describe('trust attestations', () => {
  it('issues and verifies', async () => {
    const clock = fakeClock(T0)
    const jwt = await issueAttestation(acme, { sub: bob.did, score: 812, evidence: EV, jti: 'a-1' }, clock, 600)
    const r = verifyAttestation(jwt, opts(clock))
    expect(r.ok).to.equal(true)
    if (!r.ok) return
    expect(r.value).to.deep.equal({ iss: acme.did, sub: bob.did, score: 812, evidence: EV, iat: N, exp: N + 600, jti: 'a-1' })
  })

  it('rejects a forged signature, a bit flip and a key that is not the issuer\'s', async () => {
    const clock = fakeClock(T0)
    const good = await issueAttestation(acme, { sub: bob.did, score: 812, evidence: EV }, clock)
    const [h, p, s] = good.split('.')
    const sig = Buffer.from(s, 'base64url'); sig[5] ^= 1
    expect(verifyAttestation(`${h}.${p}.${sig.toString('base64url')}`, opts(clock))).to.have.nested.property('error.code', 'BAD_SIGNATURE')
    const body = JSON.parse(Buffer.from(p, 'base64url').toString()); body.score = 1000
    expect(verifyAttestation(`${h}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${s}`, opts(clock))).to.have.nested.property('error.code', 'BAD_SIGNATURE')
    // mallory signs a claim in acme's name
    expect(verifyAttestation(await raw({}, mallory), opts(clock))).to.have.nested.property('error.code', 'BAD_SIGNATURE')
  })

  it('rejects an unenrolled issuer, also when the lookup throws', async () => {
    const clock = fakeClock(T0)
    const jwt = await issueAttestation(initech, { sub: bob.did, score: 900, evidence: EV }, clock)
    expect(verifyAttestation(jwt, opts(clock))).to.have.nested.property('error.code', 'ISSUER_NOT_ENROLLED')
    const ok = await issueAttestation(acme, { sub: bob.did, score: 900, evidence: EV }, clock)
    expect(verifyAttestation(ok, opts(clock, { isEnrolledOrg: () => { throw new Error('store down') } }))).to.have.nested.property('error.code', 'ISSUER_NOT_ENROLLED')
  })

  it('rejects an attestation about the issuer itself or its own agents', async () => {
    const clock = fakeClock(T0)
    expect(verifyAttestation(await raw({ sub: acme.did }), opts(clock))).to.have.nested.property('error.code', 'SELF_ATTESTATION')
    expect(verifyAttestation(await raw({ sub: alice.did }), opts(clock))).to.have.nested.property('error.code', 'SELF_ATTESTATION')
    expect(verifyAttestation(await raw({ sub: alice.did }), opts(clock, { orgOf: () => { throw new Error('x') } }))).to.have.nested.property('error.code', 'SELF_ATTESTATION')
    let threw = false
    try { await issueAttestation(acme, { sub: acme.did, score: 1000, evidence: EV }, clock) } catch { threw = true }
    expect(threw).to.equal(true)
  })

  it('rejects expired (beyond the skew) and not-yet-valid attestations', async () => {
    const clock = fakeClock(T0)
    const jwt = await issueAttestation(acme, { sub: bob.did, score: 700, evidence: EV }, clock, 600)
    clock.set(T0 + 660_000)
    expect(verifyAttestation(jwt, opts(clock)).ok).to.equal(true)
    clock.set(T0 + 661_000)
    expect(verifyAttestation(jwt, opts(clock))).to.have.nested.property('error.code', 'EXPIRED')
    clock.set(T0 - 61_000)
    expect(verifyAttestation(jwt, opts(clock))).to.have.nested.property('error.code', 'NOT_YET_VALID')
  })

  it('rejects bad claims, the wrong type, other algorithms and overlong lifetimes', async () => {
    const clock = fakeClock(T0)
    const bad: Array<Record<string, unknown>> = [
      { score: 1001 }, { score: -1 }, { score: 12.5 }, { score: '900' }, { exp: undefined }, { exp: N }, { jti: '' },
      { sub: 'did:web:example.com' }, { iss: 'acme' }, { evidence: { ok: -1, error: 0, denied: 0, timeout: 0 } },
      { evidence: { ok: 1, error: 0, denied: 0 } }, { evidence: { ...EV, bonus: 5 } }, { evidence: [1, 2] }
    ]
    for (const b of bad) expect(verifyAttestation(await raw(b), opts(clock)), JSON.stringify(b)).to.have.nested.property('error.code', 'INVALID_CLAIMS')
    expect(verifyAttestation(await raw({}, acme, {}), opts(clock))).to.have.nested.property('error.code', 'WRONG_TYPE')
    expect(verifyAttestation(await raw({}, acme, { alg: 'none', typ: ATTESTATION_TYP }), opts(clock))).to.have.nested.property('error.code', 'UNSUPPORTED_ALG')
    expect(verifyAttestation(await raw({ exp: N + 8 * 86400 }), opts(clock))).to.have.nested.property('error.code', 'TTL_TOO_LONG')
    expect(verifyAttestation('not.a.jwt', opts(clock))).to.have.nested.property('error.code', 'MALFORMED_TOKEN')
    expect(verifyAttestation(42, opts(clock))).to.have.nested.property('error.code', 'MALFORMED_TOKEN')
  })

  it('publishes the first score, then on a move of at least the threshold or a tier change', () => {
    expect(shouldPublish(undefined, 350, 50)).to.equal(true)
    expect(shouldPublish(600, 640, 50)).to.equal(false)
    expect(shouldPublish(600, 650, 50)).to.equal(true)
    expect(shouldPublish(650, 600, 50)).to.equal(true)
    expect(shouldPublish(690, 705, 50)).to.equal(true)
    expect(shouldPublish(705, 690, 50)).to.equal(true)
  })
})
