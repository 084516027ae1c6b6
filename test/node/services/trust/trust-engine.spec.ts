import { expect } from 'chai'
import { computeTrustView, PRIOR_WEIGHT, scoreIn, type HeldAttestation } from '../../../../node/services/trust/trust-engine.js'
import { NEUTRAL_SCORE, type Attestation, type EvidenceRecord } from '../../../../trust/index.js'
import { acme, alice, bob, carol, globex, initech, mallory, principal } from '../../../helpers/principals.js'

const T0 = Date.UTC(2026, 0, 1)
const S0 = T0 / 1000
const hooli = principal('hooli')
// acme is this node; bob is a globex agent, carol an initech agent, mallory a hooli agent
const agentOrg = new Map([[bob.did, globex.did], [carol.did, initech.did], [mallory.did, hooli.did], [alice.did, acme.did]])
const orgOf = (d: string): string | undefined => agentOrg.get(d)
let seq = 0

function ev (outcome: EvidenceRecord['outcome'], subjectAgent: string, subjectOrg: string, extra: Partial<EvidenceRecord> = {}): EvidenceRecord {
  return { receiptCid: `cid-${seq++}`, executorOrg: acme.did, subjectAgent, subjectOrg, outcome, at: T0 - 1000, ...extra }
}
function att (iss: string, sub: string, score: number, extra: Partial<Attestation> = {}): HeldAttestation {
  const a: Attestation = { iss, sub, score, evidence: { ok: 10, error: 0, denied: 0, timeout: 0 }, iat: S0 - 10, exp: S0 + 3600, jti: `j${seq++}`, ...extra }
  return { id: `id-${seq++}`, attestation: a }
}
function view (over: { evidence?: EvidenceRecord[], attestations?: HeldAttestation[], preTrusted?: string[], now?: number } = {}): ReturnType<typeof computeTrustView> {
  return computeTrustView({
    selfOrg: acme.did,
    orgs: [globex.did, initech.did, hooli.did],
    preTrusted: over.preTrusted ?? [],
    evidence: over.evidence ?? [],
    attestations: over.attestations ?? [],
    orgOf,
    now: over.now ?? T0
  })
}

describe('trust engine (node view)', () => {
  it('an enrolled org without evidence is probationary (NEUTRAL); an unknown DID has no score; this org is 1000', () => {
    const v = view()
    expect(scoreIn(v, globex.did)).to.equal(NEUTRAL_SCORE)
    expect(v.subjects.get(globex.did)?.tier).to.equal('probationary')
    expect(scoreIn(v, principal('stranger').did)).to.equal(undefined)
    expect(scoreIn(v, acme.did)).to.equal(1000)
  })

  it('failures lower and successes raise the score of the agent and its org, agreeing with the evidence', () => {
    const v = view({ evidence: [...Array.from({ length: 6 }, () => ev('error', bob.did, globex.did)), ...Array.from({ length: 30 }, () => ev('ok', carol.did, initech.did))] })
    const g = v.subjects.get(globex.did)
    expect(g?.local?.counts).to.deep.equal({ ok: 0, error: 6, denied: 0, timeout: 0 })
    expect(g?.score).to.be.below(NEUTRAL_SCORE)
    expect(v.subjects.get(bob.did)?.score).to.be.below(NEUTRAL_SCORE)
    expect(v.subjects.get(initech.did)?.score).to.be.above(600)
    // the only opinion is this node's own, mixed with the neutral prior
    const local = v.subjects.get(initech.did)?.local?.score ?? 0
    expect(v.subjects.get(initech.did)?.score).to.equal(Math.round((local + PRIOR_WEIGHT * NEUTRAL_SCORE) / (1 + PRIOR_WEIGHT)))
  })

  it('evidence about this node\'s own org never counts', () => {
    const v = view({ evidence: [ev('ok', alice.did, acme.did), ev('ok', alice.did, acme.did)] })
    expect(v.subjects.has(alice.did)).to.equal(false)
    expect(v.subjects.has(acme.did)).to.equal(false)
  })

  it('an attestation by a pre-trusted partner moves the score; the same by an org nobody vouches for does not', () => {
    const a = att(globex.did, mallory.did, 100)
    const trusted = view({ attestations: [a], preTrusted: [globex.did] })
    expect(scoreIn(trusted, mallory.did)).to.be.below(NEUTRAL_SCORE)
    const op = trusted.subjects.get(mallory.did)?.opinions[0]
    expect(op?.witness).to.equal(globex.did)
    expect(op?.moved).to.be.below(0)
    const untrusted = view({ attestations: [a] })
    expect(scoreIn(untrusted, mallory.did)).to.equal(NEUTRAL_SCORE)
  })

  it('a clique that only praises itself gains nothing', () => {
    const v = view({ attestations: [att(globex.did, hooli.did, 1000), att(hooli.did, globex.did, 1000), att(hooli.did, bob.did, 1000), att(globex.did, mallory.did, 1000)] })
    for (const d of [globex.did, hooli.did, bob.did, mallory.did]) expect(scoreIn(v, d), d).to.equal(NEUTRAL_SCORE)
    expect(v.subjects.get(hooli.did)?.standing?.trust).to.equal(0)
  })

  it('trust passes along a path: an org this node rates well can vouch for a third', () => {
    const good = Array.from({ length: 60 }, () => ev('ok', bob.did, globex.did))
    const v = view({ evidence: good, attestations: [att(globex.did, initech.did, 950)] })
    expect(v.subjects.get(initech.did)?.standing?.trust).to.be.above(0)
    expect(scoreIn(v, initech.did)).to.be.above(NEUTRAL_SCORE)
  })

  it('expired attestations stop counting, at their expiry', () => {
    const a = att(globex.did, mallory.did, 50, { exp: S0 + 30 })
    expect(scoreIn(view({ attestations: [a], preTrusted: [globex.did], now: T0 + 29_000 }), mallory.did)).to.be.below(NEUTRAL_SCORE)
    // no opinion counts any more: the agent drops out of the view (the service scores it NEUTRAL, capped by its org)
    expect(scoreIn(view({ attestations: [a], preTrusted: [globex.did], now: T0 + 31_000 }), mallory.did)).to.equal(undefined)
    const orgAtt = att(globex.did, hooli.did, 50, { exp: S0 + 30 })
    expect(scoreIn(view({ attestations: [orgAtt], preTrusted: [globex.did], now: T0 + 31_000 }), hooli.did)).to.equal(NEUTRAL_SCORE)
  })

  it('only the latest attestation of an issuer about a subject counts', () => {
    const old = att(globex.did, mallory.did, 50, { iat: S0 - 100 })
    const fresh = att(globex.did, mallory.did, 900, { iat: S0 - 5 })
    const v = view({ attestations: [fresh, old], preTrusted: [globex.did] })
    expect(v.subjects.get(mallory.did)?.opinions.map(o => o.score)).to.deep.equal([900])
  })

  it('an org\'s statements about itself or its own agents, and statements about this org, never count', () => {
    const v = view({ attestations: [att(globex.did, bob.did, 1000), att(globex.did, alice.did, 0), att(globex.did, acme.did, 0)], preTrusted: [globex.did] })
    expect(scoreIn(v, bob.did)).to.equal(undefined)
    expect(v.subjects.has(alice.did)).to.equal(false)
    expect(scoreIn(v, acme.did)).to.equal(1000)
  })

  it('attestations by an issuer that is not enrolled do not count', () => {
    const v = view({ attestations: [att(principal('outsider').did, mallory.did, 0), att(principal('outsider').did, hooli.did, 0)] })
    expect(scoreIn(v, mallory.did)).to.equal(undefined)
    expect(scoreIn(v, hooli.did)).to.equal(NEUTRAL_SCORE)
  })

  it('an agent never scores above its org (Sybil cap)', () => {
    const ev1 = [...Array.from({ length: 40 }, () => ev('ok', mallory.did, hooli.did)), ...Array.from({ length: 40 }, () => ev('error', principal('m2').did, hooli.did))]
    agentOrg.set(principal('m2').did, hooli.did)
    const v = view({ evidence: ev1 })
    const agent = v.subjects.get(mallory.did)
    const org = v.subjects.get(hooli.did)
    expect(agent?.uncapped).to.be.above(org?.score ?? 0)
    expect(agent?.score).to.equal(org?.score)
  })
})
