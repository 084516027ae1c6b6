import { expect } from 'chai'
import { acme, alice, bob, mallory } from '../../helpers/principals.js'
import { fakeClock } from '../../helpers/clock.js'
import { cidOfJwt } from '../../../identity/ucan/cid.js'
import { issueRevocation, verifyRevocation } from '../../../identity/ucan/revocation.js'
import { issuersUpTo, validateInvocation } from '../../../identity/ucan/validate-chain.js'
import { buildChain, cap, opts, res } from './fixtures.js'
import { flipChar } from './forge.js'

describe('ucan/revocation', () => {
  it('accepts a revocation by an issuer at or above the token, refuses others', async () => {
    const c = await buildChain([
      { issuer: acme, audience: alice, capabilities: cap(res(acme), 'records/*') },
      { issuer: alice, audience: bob, capabilities: cap(res(acme), 'records/read') }
    ], { resource: res(acme, 'records/1'), ability: 'records/read' })
    const v = validateInvocation(c.input, opts())
    if (!v.ok) throw new Error(v.error.message)
    const chainIssuersOf = (cid: string): string[] | undefined => issuersUpTo(v.value, cid)
    const clock = fakeClock()
    const target = c.links[1].cid
    for (const who of [alice, acme]) {
      const r = verifyRevocation(await issueRevocation(who, target, clock, 'compromised'), { chainIssuersOf, now: clock.now() })
      if (!r.ok) throw new Error(r.error.message)
      expect(r.value).to.include({ issuer: who.did, revoke: target, reason: 'compromised' })
    }
    const code = async (jwt: Promise<string> | string): Promise<string> => { const r = verifyRevocation(await jwt, { chainIssuersOf, now: clock.now() }); return r.ok ? 'OK' : r.error.code }
    expect(await code(issueRevocation(bob, target, clock))).to.equal('REVOCATION_UNAUTHORISED')
    expect(await code(issueRevocation(mallory, target, clock))).to.equal('REVOCATION_UNAUTHORISED')
    expect(await code(issueRevocation(alice, c.links[0].cid, clock))).to.equal('REVOCATION_UNAUTHORISED')
    expect(await code(issueRevocation(acme, cidOfJwt('not in this chain'), clock))).to.equal('REVOCATION_UNKNOWN_TOKEN')
    const good = await issueRevocation(alice, target, clock)
    expect(await code(flipChar(good, good.length - 5))).to.equal('BAD_SIGNATURE')
    const future = fakeClock(clock.now() + 3600_000)
    expect(await code(issueRevocation(alice, target, future))).to.equal('INVALID_REVOCATION')
  })
})
