import { expect } from 'chai'
import fc from 'fast-check'
import type { EvidenceRecord, Outcome } from '../../trust/evidence.js'
import { DAY_MS, decayWeight, localScore, scoreSubject } from '../../trust/local-score.js'
import { NEUTRAL_SCORE } from '../../trust/tiers.js'
import { fakeClock } from '../helpers/clock.js'

const T0 = Date.UTC(2026, 0, 1)
const HALF = 14 * DAY_MS
let seq = 0
function rec (outcome: Outcome, at: number, extra: Partial<EvidenceRecord> = {}): EvidenceRecord {
  return { receiptCid: `cid-${seq++}`, executorOrg: 'did:org:acme', subjectAgent: 'did:agent:bob', subjectOrg: 'did:org:globex', outcome, at, ...extra }
}
const many = (n: number, outcome: Outcome, at: number): EvidenceRecord[] => Array.from({ length: n }, () => rec(outcome, at))

describe('local score', () => {
  it('no evidence is neutral and probationary', () => {
    const a = localScore([], T0)
    expect(a.score).to.equal(NEUTRAL_SCORE)
    expect(a.tier).to.equal('probationary')
  })

  it('is a pure function of (evidence, now): the same query twice gives the same score', () => {
    const clock = fakeClock(T0)
    const ev = [...many(20, 'ok', T0 - DAY_MS), ...many(3, 'error', T0 - 2 * DAY_MS)]
    const a = scoreSubject(ev, 'did:agent:bob', clock)
    const b = scoreSubject(ev, 'did:agent:bob', clock)
    expect(b).to.deep.equal(a)
    clock.advance(DAY_MS)
    const c = scoreSubject(ev, 'did:agent:bob', clock)
    clock.set(T0)
    expect(scoreSubject(ev, 'did:agent:bob', clock)).to.deep.equal(a)
    expect(c.score).to.be.lessThan(a.score)
  })

  it('decays toward neutral with time, from above and from below', () => {
    const good = many(50, 'ok', T0)
    const bad = many(50, 'error', T0)
    let prevGood = localScore(good, T0).score
    let prevBad = localScore(bad, T0).score
    expect(prevGood).to.be.greaterThan(700)
    expect(prevBad).to.be.lessThan(300)
    for (let d = 7; d <= 365; d += 7) {
      const g = localScore(good, T0 + d * DAY_MS).score
      const b = localScore(bad, T0 + d * DAY_MS).score
      expect(g).to.be.at.most(prevGood).and.at.least(NEUTRAL_SCORE)
      expect(b).to.be.at.least(prevBad).and.at.most(NEUTRAL_SCORE)
      prevGood = g; prevBad = b
    }
    expect(prevGood).to.equal(NEUTRAL_SCORE)
    expect(prevBad).to.equal(NEUTRAL_SCORE)
  })

  it('older evidence weighs less: one half-life halves the weight', () => {
    expect(decayWeight(T0 - HALF, T0, HALF)).to.be.closeTo(0.5, 1e-12)
    expect(decayWeight(T0 + 5, T0, HALF)).to.equal(1)
    const fresh = localScore([rec('ok', T0)], T0)
    const old = localScore([rec('ok', T0 - HALF)], T0)
    expect(fresh.successWeight).to.be.closeTo(1, 1e-12)
    expect(old.successWeight).to.be.closeTo(0.5, 1e-12)
    // recent failures outweigh old successes of the same number
    const mixed = localScore([...many(10, 'ok', T0 - 4 * HALF), ...many(10, 'error', T0)], T0)
    expect(mixed.score).to.be.lessThan(NEUTRAL_SCORE)
  })

  it('a policy violation weighs more than an error; a timeout like an error', () => {
    const base = many(30, 'ok', T0)
    const err = localScore([...base, ...many(3, 'error', T0)], T0).score
    const tmo = localScore([...base, ...many(3, 'timeout', T0)], T0).score
    const viol = localScore([...base, ...many(3, 'denied', T0).map(r => ({ ...r, policyViolation: true }))], T0).score
    expect(tmo).to.equal(err)
    expect(viol).to.be.lessThan(err)
  })

  it('needs substantial evidence to reach trusted and verified', () => {
    expect(localScore(many(10, 'ok', T0), T0).tier).to.equal('standard')
    expect(localScore(many(20, 'ok', T0), T0).tier).to.equal('standard')
    expect(localScore(many(25, 'ok', T0), T0).tier).to.equal('trusted')
    expect(localScore(many(100, 'ok', T0), T0).tier).to.equal('trusted')
    expect(localScore(many(120, 'ok', T0), T0).tier).to.equal('verified')
  })

  it('scoreSubject counts each receipt once, ignores self-evidence and aggregates an org over its agents', () => {
    const clock = fakeClock(T0)
    const one = rec('ok', T0)
    const self = { ...rec('ok', T0), executorOrg: 'did:org:globex' }
    const other = { ...rec('ok', T0), subjectAgent: 'did:agent:carol' }
    const a = scoreSubject([one, one, one, self, self], 'did:agent:bob', clock)
    expect(a.evidence).to.equal(1)
    expect(scoreSubject([one, other], 'did:org:globex', clock).evidence).to.equal(2)
    expect(scoreSubject([one, other], 'did:agent:carol', clock).evidence).to.equal(1)
  })

  it('property: scores are integers in range; a success never lowers it, a failure never raises it', () => {
    const outcome = fc.constantFrom<Outcome>('ok', 'error', 'denied', 'timeout')
    const record = fc.record({ outcome, age: fc.integer({ min: 0, max: 200 * DAY_MS }), v: fc.boolean() })
    fc.assert(fc.property(fc.array(record, { maxLength: 60 }), fc.integer({ min: 0, max: 100 * DAY_MS }), (rs, extra) => {
      const ev = rs.map(r => rec(r.outcome, T0 - r.age, r.v ? { policyViolation: true } : {}))
      const s = localScore(ev, T0).score
      expect(Number.isInteger(s) && s >= 0 && s <= 1000).to.equal(true)
      expect(localScore([...ev, rec('ok', T0)], T0).score).to.be.at.least(s)
      expect(localScore([...ev, rec('error', T0)], T0).score).to.be.at.most(s)
      // moving time forward moves the score toward neutral, never past it
      const later = localScore(ev, T0 + extra).score
      if (s >= NEUTRAL_SCORE) expect(later).to.be.within(NEUTRAL_SCORE, s)
      else expect(later).to.be.within(s, NEUTRAL_SCORE)
    }), { seed: 1234, numRuns: 200 })
  })
})
