import { expect } from 'chai'
import { attestationTopic, type AttestationTopicDeps } from '../../../../node/services/trust/attestation-topic.js'
import { ATTESTATION_TYP, issueAttestation } from '../../../../trust/index.js'
import { signJwt } from '../../../../identity/jwt.js'
import { acme, bob, globex, initech, mallory } from '../../../helpers/principals.js'
import { fakeClock } from '../../../helpers/clock.js'

const T0 = Date.UTC(2026, 0, 1)
const EV = { ok: 3, error: 0, denied: 0, timeout: 0 }

function setup (): { topic: ReturnType<typeof attestationTopic>, strikes: Array<{ org: string, code: string }> } {
  const strikes: Array<{ org: string, code: string }> = []
  const enrolled = new Set([acme.did, globex.did, mallory.did])
  const deps: AttestationTopicDeps = {
    isEnrolledOrg: d => enrolled.has(d),
    orgOf: d => d === bob.did ? globex.did : undefined,
    onAccept: async () => {},
    onMisbehaviour: (org, _id, code) => { strikes.push({ org, code }) }
  }
  return { topic: attestationTopic(deps), strikes }
}

describe('trust attestation topic', () => {
  it('accepts a valid attestation with a stable id', async () => {
    const { topic, strikes } = setup()
    const jwt = await issueAttestation(globex, { sub: mallory.did, score: 700, evidence: EV }, fakeClock(T0))
    const a = topic.validate(jwt, { now: T0, fromOrg: globex.did })
    const b = topic.validate(jwt, { now: T0 })
    expect(a.ok && b.ok && a.value.id === b.value.id).to.equal(true)
    expect(strikes).to.deep.equal([])
  })

  it('an attestation about a stranger (not enrolled, no agent of ours or a partner\'s) is ignored, with no strike', async () => {
    const { topic, strikes } = setup()
    const jwt = await issueAttestation(globex, { sub: initech.did, score: 700, evidence: EV }, fakeClock(T0))
    const r = topic.validate(jwt, { now: T0, fromOrg: globex.did })
    expect(r.ok ? '' : r.error.code).to.equal('NOT_OUR_PRINCIPAL')
    expect(topic.ignorable).to.include('NOT_OUR_PRINCIPAL')
    expect(strikes).to.deep.equal([])
  })

  it('rejects a forged attestation and counts it against the sender', async () => {
    const { topic, strikes } = setup()
    const forged = await signJwt({ iss: globex.did, sub: initech.did, score: 0, evidence: EV, iat: T0 / 1000, exp: T0 / 1000 + 60, jti: 'f' }, mallory, { typ: ATTESTATION_TYP })
    expect(topic.validate(forged, { now: T0, fromOrg: mallory.did })).to.have.nested.property('error.code', 'BAD_SIGNATURE')
    expect(strikes).to.deep.equal([{ org: mallory.did, code: 'BAD_SIGNATURE' }])
  })

  it('rejects a self-issued attestation (about the issuer or its own agent) and counts it against the sender', async () => {
    const { topic, strikes } = setup()
    const self = await signJwt({ iss: mallory.did, sub: mallory.did, score: 1000, evidence: EV, iat: T0 / 1000, exp: T0 / 1000 + 60, jti: 's' }, mallory, { typ: ATTESTATION_TYP })
    expect(topic.validate(self, { now: T0, fromOrg: mallory.did })).to.have.nested.property('error.code', 'SELF_ATTESTATION')
    const ownAgent = await issueAttestation(globex, { sub: bob.did, score: 1000, evidence: EV }, fakeClock(T0))
    expect(topic.validate(ownAgent, { now: T0, fromOrg: globex.did })).to.have.nested.property('error.code', 'SELF_ATTESTATION')
    expect(strikes.map(s => s.org)).to.deep.equal([mallory.did, globex.did])
  })

  it('rejects expired and unenrolled-issuer attestations without blaming an honest forwarder', async () => {
    const { topic, strikes } = setup()
    const old = await issueAttestation(globex, { sub: initech.did, score: 700, evidence: EV }, fakeClock(T0 - 3_600_000), 60)
    expect(topic.validate(old, { now: T0, fromOrg: acme.did })).to.have.nested.property('error.code', 'EXPIRED')
    const stranger = await issueAttestation(initech, { sub: bob.did, score: 700, evidence: EV }, fakeClock(T0))
    expect(topic.validate(stranger, { now: T0, fromOrg: acme.did })).to.have.nested.property('error.code', 'ISSUER_NOT_ENROLLED')
    expect(strikes).to.deep.equal([])
  })
})
