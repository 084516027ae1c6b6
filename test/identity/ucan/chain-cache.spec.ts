/** The warm cache: hits skip signature work, but time, principals, revocation and replay are re-checked. */
import { expect } from 'chai'
import { acme, alice, bob } from '../../helpers/principals.js'
import { verifyJwtSignature, type DecodedJwt } from '../../../identity/jwt.js'
import type { Result } from '../../../identity/result.js'
import { issueDelegation } from '../../../identity/ucan/token.js'
import { createChainCache } from '../../../identity/ucan/chain-cache.js'
import { validateInvocation } from '../../../identity/ucan/validate-chain.js'
import { buildChain, cap, opts, res, T0, type BuiltChain } from './fixtures.js'
import { fakeClock } from '../../helpers/clock.js'

async function depth (n: number): Promise<BuiltChain> {
  const people = [alice, bob]
  const specs = [{ issuer: acme, audience: alice, capabilities: cap(res(acme), 'records/*') }]
  for (let i = 1; i < n; i++) specs.push({ issuer: people[(i - 1) % 2], audience: people[i % 2], capabilities: cap(res(acme), 'records/*') })
  return await buildChain(specs, { resource: res(acme, 'records/1'), ability: 'records/read' })
}

describe('ucan/chain-cache', () => {
  let calls = 0
  const verifySignature = (jwt: DecodedJwt, did: string): Result<true> => { calls++; return verifyJwtSignature(jwt, did) }
  beforeEach(() => { calls = 0 })

  it('re-validates a depth-5 chain without signature work on a hit', async () => {
    const c = await depth(5)
    const cache = createChainCache()
    expect(validateInvocation(c.input, opts({ cache, verifySignature })).ok).to.equal(true)
    expect(calls).to.equal(6)
    expect(validateInvocation(c.input, opts({ cache, verifySignature })).ok).to.equal(true)
    expect(calls).to.equal(6)
    expect(cache.size).to.deep.equal({ links: 6, decisions: 1 })
  })

  it('revoking a middle link after a cached accept denies with REVOKED, and invalidate drops derived decisions', async () => {
    const c = await depth(5)
    const cache = createChainCache()
    const revoked = new Set<string>()
    const o = opts({ cache, verifySignature, revoked: cid => revoked.has(cid) })
    expect(validateInvocation(c.input, o).ok).to.equal(true)
    revoked.add(c.links[2].cid)
    const r = validateInvocation(c.input, o)
    expect(r.ok ? 'OK' : r.error.code).to.equal('REVOKED')
    expect(r.ok ? -1 : r.error.link).to.equal(2)
    cache.invalidate(c.links[2].cid)
    expect(cache.size).to.deep.equal({ links: 5, decisions: 0 })
    const again = validateInvocation(c.input, o)
    expect(again.ok ? 'OK' : again.error.code).to.equal('REVOKED')
  })

  it('re-checks the expected audience on a hit', async () => {
    const c = await depth(2)
    const cache = createChainCache()
    expect(validateInvocation(c.input, opts({ cache })).ok).to.equal(true)
    const r = validateInvocation(c.input, opts({ cache, audience: bob.did }))
    expect(r.ok ? 'OK' : r.error.code).to.equal('PRINCIPAL_MISALIGNED')
  })

  it('re-checks time and replay on a hit', async () => {
    const c = await depth(3)
    const cache = createChainCache()
    const clock = fakeClock(T0)
    expect(validateInvocation(c.input, opts({ cache, now: clock.now() })).ok).to.equal(true)
    clock.advance(3600_000)
    const late = validateInvocation(c.input, opts({ cache, now: clock.now() }))
    expect(late.ok ? 'OK' : late.error.code).to.equal('EXPIRED')
    const seen = new Set<string>()
    const first = validateInvocation(c.input, opts({ cache, seen: k => seen.has(k) }))
    if (!first.ok) throw new Error(first.error.message)
    for (const k of first.value.replayKeys) seen.add(k)
    const replay = validateInvocation(c.input, opts({ cache, seen: k => seen.has(k) }))
    expect(replay.ok ? 'OK' : replay.error.code).to.equal('REPLAYED')
  })

  it('does not trust a cache entry for different bytes under the same CID', async () => {
    const c = await depth(2)
    const cache = createChainCache()
    expect(validateInvocation(c.input, opts({ cache })).ok).to.equal(true)
    const other = await issueDelegation(acme, { audience: alice.did, capabilities: cap(res(acme), 'records/*'), nonce: 'other', expiration: T0 / 1000 + 60 })
    const proofs = { ...c.input.proofs, [c.links[0].cid]: other.jwt }
    const r = validateInvocation({ invocation: c.input.invocation, proofs }, opts({ cache }))
    expect(r.ok ? 'OK' : r.error.code).to.equal('CID_MISMATCH')
  })
})
