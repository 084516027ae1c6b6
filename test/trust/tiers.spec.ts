import { expect } from 'chai'
import { clampScore, localTrustFromScore, meetsMinTrust, NEUTRAL_SCORE, tierOf } from '../../trust/tiers.js'

describe('trust tiers', () => {
  const table: Array<[number, string]> = [
    [1000, 'verified'], [900, 'verified'], [899, 'trusted'], [700, 'trusted'], [699, 'standard'], [500, 'standard'],
    [499, 'probationary'], [300, 'probationary'], [299, 'untrusted'], [0, 'untrusted'], [-1, 'untrusted'], [NaN, 'untrusted'], [Infinity, 'untrusted']
  ]
  for (const [score, tier] of table) it(`${score} is ${tier}`, () => { expect(tierOf(score)).to.equal(tier) })

  it('an unknown party is probationary, not trusted', () => {
    expect(tierOf(NEUTRAL_SCORE)).to.equal('probationary')
  })

  it('minTrust fails closed on NaN and out of range', () => {
    expect(meetsMinTrust(700, 700)).to.equal(true)
    expect(meetsMinTrust(699, 700)).to.equal(false)
    expect(meetsMinTrust(NaN, 0)).to.equal(false)
    expect(meetsMinTrust(1001, 700)).to.equal(false)
  })

  it('clamps and rounds scores; local trust is the part above the floor', () => {
    expect(clampScore(1200)).to.equal(1000)
    expect(clampScore(-3)).to.equal(0)
    expect(clampScore(NaN)).to.equal(0)
    expect(clampScore(499.6)).to.equal(500)
    expect(localTrustFromScore(500)).to.equal(0)
    expect(localTrustFromScore(350)).to.equal(0)
    expect(localTrustFromScore(950)).to.equal(450)
    expect(localTrustFromScore(NaN)).to.equal(0)
  })
})
