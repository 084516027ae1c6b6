import { expect } from 'chai'
import { computeEigenTrust } from '../../trust/eigentrust.js'
import { contributionsTo, explainTrust, PRETRUSTED_SOURCE } from '../../trust/explain.js'

describe('explaining trust', () => {
  const edges = [
    { from: 'P', to: 'X', weight: 3 }, { from: 'P', to: 'Y', weight: 1 },
    { from: 'X', to: 'Z', weight: 1 }, { from: 'Y', to: 'Z', weight: 1 }, { from: 'Y', to: 'W', weight: 1 },
    { from: 'Q', to: 'R', weight: 1 }
  ]
  const r = computeEigenTrust(edges, { preTrusted: ['P'], epsilon: 1e-12 })
  if (!r.ok) throw new Error(r.error.message)
  const res = r.value

  it('finds the strongest path from the pre-trusted set', () => {
    const e = explainTrust(res, 'Z')
    expect(e.path.map(s => [s.from, s.to])).to.deep.equal([['P', 'X'], ['X', 'Z']])
    expect(e.pathStrength).to.be.closeTo(0.75, 1e-12)
    expect(explainTrust(res, 'W').pathStrength).to.be.closeTo(0.125, 1e-12)
    expect(explainTrust(res, 'P')).to.include({ preTrusted: true, pathStrength: 1 })
    expect(explainTrust(res, 'R')).to.include({ pathStrength: 0, trust: 0, tier: 'untrusted' })
    expect(explainTrust(res, 'R').path).to.deep.equal([])
    expect(explainTrust(res, 'nobody')).to.include({ known: false, trust: 0 })
  })

  it('lists who moved a score, and the terms add up to the global trust', () => {
    const e = explainTrust(res, 'Z')
    expect(e.contributions.map(c => c.source)).to.deep.equal(['X', 'Y'])
    const t = (id: string): number => res.trust[res.graph.index.get(id) as number]
    expect(e.contributions[0].amount).to.be.closeTo(0.85 * t('X'), 1e-12)
    expect(e.contributions[1].amount).to.be.closeTo(0.85 * t('Y') * 0.5, 1e-12)
    for (const id of ['P', 'X', 'Y', 'Z', 'W']) {
      const sum = contributionsTo(res, id).reduce((a, c) => a + c.amount, 0)
      expect(sum, id).to.be.closeTo(t(id), 1e-9)
    }
    expect(contributionsTo(res, 'P').some(c => c.source === PRETRUSTED_SOURCE)).to.equal(true)
  })
})
