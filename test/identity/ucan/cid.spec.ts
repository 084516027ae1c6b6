import { expect } from 'chai'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import fc from 'fast-check'
import { cidOfJwt, cidOfJwtReference, isCanonicalCidString, parseCid } from '../../../identity/ucan/cid.js'

describe('ucan/cid', () => {
  it('matches multiformats CIDv1 raw sha2-256 of the UTF-8 bytes', async () => {
    const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJ4IjoxfQ.c2ln'
    const expected = CID.create(1, raw.code, await sha256.digest(new TextEncoder().encode(jwt))).toString()
    expect(cidOfJwt(jwt)).to.equal(expected)
    expect(cidOfJwt(jwt)).to.match(/^bafkrei[a-z2-7]{52}$/)
  })

  it('the hand-rolled encoder equals multiformats for any text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), s => cidOfJwt(s) === cidOfJwtReference(s)), { numRuns: 200 })
  })

  it('the fast CID string check agrees with parseCid', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
    const arb = fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 52, maxLength: 52 }).map(a => 'bafkrei' + a.map(i => alphabet[i]).join(''))
    fc.assert(fc.property(fc.oneof(arb, fc.string().map(cidOfJwt)), s => isCanonicalCidString(s) === parseCid(s).ok), { numRuns: 300 })
  })

  it('parses strictly', () => {
    const good = cidOfJwt('x')
    expect(parseCid(good).ok).to.equal(true)
    for (const bad of [42, '', good.toUpperCase(), good.slice(0, -1), `${good}a`, 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG']) {
      const r = parseCid(bad)
      expect(r.ok, String(bad)).to.equal(false)
      if (!r.ok) expect(r.error.code).to.equal('INVALID_CID')
    }
  })
})
