import { expect } from 'chai'
import { computeEigenTrust, globalTrustOf } from '../../trust/eigentrust.js'
import { capAgentScore, dropSelfAttestations, foldToOrgs, splitOrgTrust } from '../../trust/sybil-cap.js'

const orgOf = (d: string): string | undefined => d.startsWith('unknown') ? undefined : d.split('/')[0]

describe('Sybil cap', () => {
  it('drops attestations about the issuer or its own agents', () => {
    const kept = dropSelfAttestations([
      { iss: 'acme', sub: 'acme' }, { iss: 'acme', sub: 'acme/a1' }, { iss: 'acme', sub: 'globex/b1' }, { iss: 'acme', sub: 'globex' }
    ], orgOf)
    expect(kept.map(a => a.sub)).to.deep.equal(['globex/b1', 'globex'])
  })

  it('folds agents into orgs: inside-org and unknown edges dropped, many agents weigh as one', () => {
    const folded = foldToOrgs([
      { from: 'acme', to: 'sybil/a1', weight: 100 }, { from: 'acme', to: 'sybil/a2', weight: 300 }, { from: 'acme', to: 'sybil', weight: 200 },
      { from: 'sybil', to: 'sybil/a1', weight: 500 }, { from: 'sybil/a1', to: 'sybil/a2', weight: 500 },
      { from: 'acme', to: 'unknown-x', weight: 500 }, { from: 'acme/x', to: 'globex/y', weight: 7 }
    ], orgOf)
    expect(folded).to.deep.equal([{ from: 'acme', to: 'sybil', weight: 300 }, { from: 'acme', to: 'globex', weight: 7 }])
  })

  it('splits an org\'s trust among its agents and never multiplies it', () => {
    const shares = splitOrgTrust(0.3, new Map([['a', 3], ['b', 1], ['c', 0], ['d', NaN]]))
    expect(shares.get('a')).to.be.closeTo(0.225, 1e-12)
    expect(shares.get('b')).to.be.closeTo(0.075, 1e-12)
    expect(shares.get('c')).to.equal(0)
    expect(shares.get('d')).to.equal(0)
    const many = splitOrgTrust(0.3, new Map(Array.from({ length: 100 }, (_, i) => [`m${i}`, 1])))
    expect([...many.values()].reduce((x, y) => x + y, 0)).to.be.closeTo(0.3, 1e-12)
    expect([...splitOrgTrust(0.3, new Map([['a', 0]])).values()]).to.deep.equal([0])
    expect(capAgentScore(950, 600)).to.equal(600)
    expect(capAgentScore(400, 600)).to.equal(400)
    expect(capAgentScore(NaN, 600)).to.equal(0)
  })

  it('minting agents that praise each other does not raise the org\'s trust once folded', () => {
    const base = [{ from: 'acme', to: 'globex', weight: 100 }, { from: 'acme', to: 'sybil/a0', weight: 100 }, { from: 'globex', to: 'acme', weight: 100 }]
    const mint = Array.from({ length: 100 }, (_, i) => ({ from: 'sybil', to: `sybil/a${i}`, weight: 500 }))
      .concat(Array.from({ length: 100 }, (_, i) => ({ from: `sybil/a${i}`, to: `sybil/a${(i + 1) % 100}`, weight: 500 })))
    const trust = (edges: typeof base): number => {
      const r = computeEigenTrust(foldToOrgs(edges, orgOf), { preTrusted: ['acme'] })
      if (!r.ok) throw new Error(r.error.message)
      return globalTrustOf(r.value, 'sybil')
    }
    expect(trust(base)).to.be.greaterThan(0)
    expect(trust([...base, ...mint])).to.be.closeTo(trust(base), 1e-12)
    // without folding the same minting multiplies the Sybil's share: the cap is what stops it
    const naive = computeEigenTrust([...base, { from: 'acme', to: 'sybil', weight: 100 }, ...mint], { preTrusted: ['acme'] })
    if (!naive.ok) throw new Error(naive.error.message)
    let total = globalTrustOf(naive.value, 'sybil')
    for (let i = 0; i < 100; i++) total += globalTrustOf(naive.value, `sybil/a${i}`)
    expect(total).to.be.greaterThan(2 * trust(base))
  })
})
