import { expect } from 'chai'
import { compileTrustGraph, computeEigenTrust, eigenTrust, globalTrustOf, globalTrustToScore, type EigenTrustResult, type TrustEdge } from '../../trust/eigentrust.js'
import { randomTrustGraph } from '../../trust/simulate.js'

function run (edges: TrustEdge[], pre: string[], alpha = 0.5): EigenTrustResult {
  const r = computeEigenTrust(edges, { preTrusted: pre, alpha, epsilon: 1e-12 })
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

describe('personalised EigenTrust', () => {
  it('matches a hand-computed 3-cycle: t = (4/7, 2/7, 1/7)', () => {
    // tA = a + (1-a) tC, tB = (1-a) tA, tC = (1-a) tB with a = 1/2
    const r = run([{ from: 'A', to: 'B', weight: 5 }, { from: 'B', to: 'C', weight: 2 }, { from: 'C', to: 'A', weight: 9 }], ['A'])
    expect(globalTrustOf(r, 'A')).to.be.closeTo(4 / 7, 1e-9)
    expect(globalTrustOf(r, 'B')).to.be.closeTo(2 / 7, 1e-9)
    expect(globalTrustOf(r, 'C')).to.be.closeTo(1 / 7, 1e-9)
  })

  it('normalises rows and hands a dangling row\'s mass to the pre-trusted set', () => {
    // A -> B (3/4), A -> C (1/4); B and C trust nobody. tA = 1/2 + 1/2 (tB + tC), tB = 3/8 tA, tC = 1/8 tA
    const r = run([{ from: 'A', to: 'B', weight: 3 }, { from: 'A', to: 'C', weight: 1 }], ['A'])
    const tA = 1 / (1 + 0.5)
    expect(globalTrustOf(r, 'A')).to.be.closeTo(tA, 1e-9)
    expect(globalTrustOf(r, 'B')).to.be.closeTo(0.375 * tA, 1e-9)
    expect(globalTrustOf(r, 'C')).to.be.closeTo(0.125 * tA, 1e-9)
  })

  it('gives a clique that only praises itself nothing', () => {
    const r = run([
      { from: 'A', to: 'B', weight: 1 }, { from: 'B', to: 'A', weight: 1 },
      { from: 'X', to: 'Y', weight: 1000 }, { from: 'Y', to: 'X', weight: 1000 }, { from: 'Y', to: 'Z', weight: 1000 }
    ], ['A'], 0.15)
    expect(globalTrustOf(r, 'X') + globalTrustOf(r, 'Y') + globalTrustOf(r, 'Z')).to.equal(0)
    expect(globalTrustOf(r, 'A') + globalTrustOf(r, 'B')).to.be.closeTo(1, 1e-9)
  })

  it('ignores self-edges, zero weights, and repeated praise', () => {
    const base = run([{ from: 'A', to: 'B', weight: 1 }, { from: 'A', to: 'C', weight: 1 }], ['A'])
    const noisy = run([{ from: 'A', to: 'B', weight: 1 }, { from: 'A', to: 'C', weight: 1 }, { from: 'A', to: 'C', weight: 1 }, { from: 'C', to: 'C', weight: 50 }, { from: 'B', to: 'C', weight: 0 }], ['A'])
    for (const id of ['A', 'B', 'C']) expect(globalTrustOf(noisy, id)).to.be.closeTo(globalTrustOf(base, id), 1e-12)
  })

  it('is personalised: the pre-trusted set decides', () => {
    const edges = [{ from: 'A', to: 'B', weight: 1 }, { from: 'C', to: 'D', weight: 1 }]
    expect(globalTrustOf(run(edges, ['A']), 'D')).to.equal(0)
    expect(globalTrustOf(run(edges, ['C']), 'D')).to.be.greaterThan(0)
    const weighted = computeEigenTrust(edges, { preTrusted: new Map([['A', 3], ['C', 1]]), alpha: 1 })
    expect(weighted.ok && globalTrustOf(weighted.value, 'A')).to.be.closeTo(0.75, 1e-12)
  })

  it('converges on a random graph of 1,000 to L1 < 1e-6, sums to 1', () => {
    const edges = randomTrustGraph(11, 1000, 20)
    const r = computeEigenTrust(edges, { preTrusted: ['n0', 'n1', 'n2'] })
    expect(r.ok).to.equal(true)
    if (!r.ok) return
    expect(r.value.converged).to.equal(true)
    expect(r.value.residual).to.be.lessThan(1e-6)
    let sum = 0
    for (const t of r.value.trust) sum += t
    expect(sum).to.be.closeTo(1, 1e-9)
    // close to the true fixed point, computed to much higher precision
    const precise = eigenTrust(r.value.graph, { preTrusted: ['n0', 'n1', 'n2'], epsilon: 1e-14 })
    if (!precise.ok) throw new Error(precise.error.message)
    let dist = 0
    for (let i = 0; i < 1000; i++) dist += Math.abs(precise.value.trust[i] - r.value.trust[i])
    expect(dist).to.be.lessThan(1e-5)
    expect(precise.value.iterations).to.be.greaterThan(r.value.iterations)
  })

  it('fails closed: no pre-trusted set, bad weights, no convergence', () => {
    expect(computeEigenTrust([{ from: 'A', to: 'B', weight: 1 }], { preTrusted: [] })).to.have.nested.property('error.code', 'NO_PRETRUSTED')
    expect(computeEigenTrust([{ from: 'A', to: 'B', weight: 1 }], { preTrusted: new Map([['A', 0]]) })).to.have.nested.property('error.code', 'NO_PRETRUSTED')
    for (const w of [-1, NaN, Infinity]) {
      expect(computeEigenTrust([{ from: 'A', to: 'B', weight: w }], { preTrusted: ['A'] })).to.have.nested.property('error.code', 'INVALID_GRAPH')
    }
    expect(computeEigenTrust([{ from: 'A', to: 'B', weight: 1 }, { from: 'B', to: 'A', weight: 1 }], { preTrusted: ['A'], alpha: 0.01, maxIterations: 3 }))
      .to.have.nested.property('error.code', 'NOT_CONVERGED')
    const g = compileTrustGraph([{ from: 'A', to: 'B', weight: 1 }])
    expect(g.ok && eigenTrust(g.value, { preTrusted: ['Q'] })).to.have.nested.property('error.code', 'NO_PRETRUSTED')
  })

  it('maps global trust to the 0..1000 display scale monotonically', () => {
    expect(globalTrustToScore(0, 100)).to.equal(0)
    expect(globalTrustToScore(NaN, 100)).to.equal(0)
    expect(globalTrustToScore(1 / 100, 100)).to.equal(500)
    expect(globalTrustToScore(9 / 100, 100)).to.equal(900)
    expect(globalTrustToScore(1, 100)).to.be.lessThan(1000)
    expect(globalTrustToScore(0.02, 100)).to.be.greaterThan(globalTrustToScore(0.01, 100))
  })
})
