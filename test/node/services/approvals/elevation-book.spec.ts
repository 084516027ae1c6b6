/** Ring elevations of local agents: applied while valid, expire by themselves, only the org signs them. */
import { expect } from 'chai'
import { MemoryRepository } from '../../../../node/store/memory-repository.js'
import { ElevationBook, type StoredElevation } from '../../../../node/services/approvals/elevation-book.js'
import { issueElevation } from '../../../../authz/index.js'
import { fakeClock } from '../../../helpers/clock.js'
import { acme, alice, bob, mallory } from '../../../helpers/principals.js'

describe('approvals: ring elevations', () => {
  it('applies a valid elevation and stops applying it when it expires', async () => {
    const clock = fakeClock()
    const book = new ElevationBook({ repo: new MemoryRepository<StoredElevation>('elevations'), org: acme.did, clock })
    await book.add(await issueElevation(acme, { agent: alice.did, ring: 1, ttlSeconds: 600, reason: 'quarter close' }, clock))
    expect((await book.ringOf(alice.did, 2)).ring).to.equal(1)
    expect((await book.ringOf(bob.did, 2)).ring).to.equal(2)
    clock.advance(601_000)
    expect((await book.ringOf(alice.did, 2)).ring).to.equal(2)
  })

  it('refuses elevations not signed by the org', async () => {
    const clock = fakeClock()
    const book = new ElevationBook({ repo: new MemoryRepository<StoredElevation>('elevations'), org: acme.did, clock })
    const r = await book.add(await issueElevation(mallory, { agent: alice.did, ring: 1, ttlSeconds: 600, reason: 'x' }, clock))
    expect(r.ok).to.equal(false)
    expect(r.ok ? undefined : r.error.code).to.equal('ELEVATION_WRONG_ISSUER')
  })
})
