import { expect } from 'chai'
import { createPrng } from '../../trust/prng.js'

describe('seeded prng', () => {
  it('repeats for a seed and differs across seeds', () => {
    const a = createPrng(42)
    const b = createPrng(42)
    const c = createPrng(43)
    const xs = Array.from({ length: 5 }, () => a.next())
    expect(Array.from({ length: 5 }, () => b.next())).to.deep.equal(xs)
    expect(Array.from({ length: 5 }, () => c.next())).to.not.deep.equal(xs)
  })

  it('is roughly uniform in [0, 1)', () => {
    const r = createPrng(1)
    const bins = new Array(10).fill(0)
    for (let i = 0; i < 100_000; i++) {
      const x = r.next()
      expect(x >= 0 && x < 1).to.equal(true)
      bins[Math.floor(x * 10)]++
    }
    for (const b of bins) expect(b).to.be.within(9_500, 10_500)
    for (let i = 0; i < 1000; i++) expect(r.int(7)).to.be.within(0, 6)
  })
})
