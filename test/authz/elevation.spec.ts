import { expect } from 'chai'
import { signJwt } from '../../identity/jwt.js'
import { applyElevations, ELEVATION_TYP, ElevationCode, ElevationInputError, issueElevation, verifyElevation, type Elevation } from '../../authz/elevation.js'
import { fakeClock } from '../helpers/clock.js'
import { acme, alice, bob, globex } from '../helpers/principals.js'

describe('policy/elevation', () => {
  it('issues and verifies an elevation', async () => {
    const clock = fakeClock()
    const jwt = await issueElevation(acme, { agent: alice.did, ring: 1, ttlSeconds: 600, reason: 'quarter close' }, clock)
    const r = verifyElevation(jwt, { org: acme.did, clock, agent: alice.did })
    expect(r.ok).to.equal(true)
    if (r.ok) expect(r.value).to.include({ iss: acme.did, sub: alice.did, ring: 1, reason: 'quarter close' })
  })

  it('refuses issuing ring 0, an over-long TTL, no reason or a bad agent', async () => {
    const clock = fakeClock()
    const cases: Array<[Parameters<typeof issueElevation>[1], string]> = [
      [{ agent: alice.did, ring: 0, ttlSeconds: 60, reason: 'x' }, ElevationCode.ELEVATION_RING_REFUSED],
      [{ agent: alice.did, ring: 1, ttlSeconds: 24 * 3600 + 1, reason: 'x' }, ElevationCode.ELEVATION_TTL_TOO_LONG],
      [{ agent: alice.did, ring: 1, ttlSeconds: 60, reason: ' ' }, ElevationCode.ELEVATION_MALFORMED],
      [{ agent: 'did:web:x', ring: 1, ttlSeconds: 60, reason: 'x' }, ElevationCode.ELEVATION_MALFORMED]
    ]
    for (const [req, code] of cases) {
      let err: unknown
      try { await issueElevation(acme, req, clock) } catch (e) { err = e }
      expect(err).to.be.instanceOf(ElevationInputError)
      expect((err as ElevationInputError).code).to.equal(code)
    }
  })

  async function forged (payload: Record<string, unknown>, signer = acme, typ = ELEVATION_TYP): Promise<string> {
    return await signJwt({ iss: signer.did, sub: alice.did, ring: 1, reason: 'r', iat: 1767225600, exp: 1767225600 + 600, jti: 'j1', ...payload }, signer, { typ })
  }

  it('rejects expired, wrong issuer, ring 0, too long, wrong agent, wrong type and bad signatures', async () => {
    const clock = fakeClock() // 2026-01-01 = 1767225600
    const cases: Array<[string, string, string]> = [
      ['expired', await forged({ iat: 1767225600 - 7200, exp: 1767225600 - 3600 }), ElevationCode.ELEVATION_EXPIRED],
      ['not yet valid', await forged({ iat: 1767225600 + 3600, exp: 1767225600 + 4000 }), ElevationCode.ELEVATION_NOT_YET_VALID],
      ['wrong issuer', await forged({}, globex), ElevationCode.ELEVATION_WRONG_ISSUER],
      ['ring 0', await forged({ ring: 0 }), ElevationCode.ELEVATION_RING_REFUSED],
      ['TTL above the max', await forged({ exp: 1767225600 + 48 * 3600 }), ElevationCode.ELEVATION_TTL_TOO_LONG],
      ['wrong agent', await forged({ sub: bob.did }), ElevationCode.ELEVATION_WRONG_AGENT],
      ['wrong typ', await forged({}, acme, 'JWT'), ElevationCode.ELEVATION_MALFORMED],
      ['missing jti', await forged({ jti: undefined }), ElevationCode.ELEVATION_MALFORMED]
    ]
    const good = await forged({})
    const [h, p] = good.split('.')
    const other = (await forged({ ring: 3 })).split('.')[2]
    cases.push(['bad signature', `${h}.${p}.${other}`, 'BAD_SIGNATURE'])
    for (const [name, jwt, code] of cases) {
      const r = verifyElevation(jwt, { org: acme.did, clock, agent: alice.did })
      expect(r.ok, name).to.equal(false)
      if (!r.ok) expect(r.error.code, name).to.equal(code)
    }
    expect(verifyElevation(good, { org: acme.did, clock, agent: alice.did }).ok).to.equal(true)
  })

  it('expires after its TTL on the fake clock', async () => {
    const clock = fakeClock()
    const jwt = await issueElevation(acme, { agent: alice.did, ring: 1, ttlSeconds: 300, reason: 'r' }, clock)
    clock.advance(300_000 + 61_000)
    const r = verifyElevation(jwt, { org: acme.did, clock })
    expect(r.ok ? 'ok' : r.error.code).to.equal(ElevationCode.ELEVATION_EXPIRED)
  })

  it('applies only elevations valid now, for this agent, never to ring 0', () => {
    const t = 1767225600
    const e = (ring: number, iat: number, exp: number, sub = alice.did): Elevation => ({ iss: acme.did, sub, ring, reason: 'r', iat, exp, jti: `${ring}${iat}` })
    const now = t * 1000
    expect(applyElevations(3, [], now)).to.equal(3)
    expect(applyElevations(3, [e(2, t - 10, t + 10)], now)).to.equal(2)
    expect(applyElevations(3, [e(2, t - 10, t + 10), e(1, t - 10, t + 10)], now)).to.equal(1)
    expect(applyElevations(3, [e(1, t - 20, t - 10)], now)).to.equal(3) // expired
    expect(applyElevations(3, [e(1, t + 10, t + 20)], now)).to.equal(3) // not yet
    expect(applyElevations(3, [e(0, t - 10, t + 10)], now)).to.equal(3) // ring 0 never
    expect(applyElevations(2, [e(3, t - 10, t + 10)], now)).to.equal(2) // an elevation never demotes
    expect(applyElevations(3, [e(1, t - 10, t + 10, bob.did)], now, alice.did)).to.equal(3) // other agent
  })
})
