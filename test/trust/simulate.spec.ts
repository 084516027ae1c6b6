/** B7-B9 at small N (the bench runs them at full size). Targets from DESIGN.md section 10. */
import { expect } from 'chai'
import { simulatePopulation, simulateSybil } from '../../trust/simulate.js'

describe('trust simulations (small N)', () => {
  it('B7: 30% colluders who praise only each other and serve others badly get <= 1% of global trust', () => {
    for (const seed of [1, 2, 3]) {
      const r = simulatePopulation({ seed, orgs: 80, adversaryFraction: 0.3, behaviour: 'collusion' })
      expect(r.converged).to.equal(true)
      expect(r.adversaries).to.equal(24)
      expect(r.adversaryShare, `seed ${seed}`).to.be.at.most(0.01)
    }
  })

  it('B8: 30% camouflage (serve well half the time, praise each other) get <= 15%', () => {
    for (const seed of [1, 2, 3]) {
      const r = simulatePopulation({ seed, orgs: 80, adversaryFraction: 0.3, behaviour: 'camouflage', tasksPerPeer: 30 })
      expect(r.converged).to.equal(true)
      expect(r.adversaryShare, `seed ${seed}`).to.be.at.most(0.15)
    }
  })

  it('the model does discriminate: adversaries that serve as well as honest orgs do get trust', () => {
    const r = simulatePopulation({ seed: 1, orgs: 80, adversaryFraction: 0.3, behaviour: 'camouflage', adversaryQuality: 0.95 })
    expect(r.adversaryShare).to.be.greaterThan(0.3)
  })

  it('B9: minting 100 agent identities does not grow an org\'s total trust (the uncapped model would)', () => {
    const r = simulateSybil({ seed: 5, orgs: 40, agents: 100 })
    expect(r.before).to.be.greaterThan(0)
    expect(r.after).to.be.at.most(r.before * (1 + 1e-9))
    expect(r.naiveAfter).to.be.greaterThan(r.naiveBefore)
  })
})
