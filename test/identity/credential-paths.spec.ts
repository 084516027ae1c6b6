/**
 * The native verifier and the did-jwt verifier must accept and reject exactly the same tokens, with
 * the same reason codes (DESIGN.md section 2). One corpus of good and bad tokens goes to both.
 */
import { expect } from 'chai'
import { base58btc } from 'multiformats/bases/base58'
import { issueAgentCredential, issueNodeCredential, verifyCredential, verifyCredentialDidJwt, type VerifyCredentialOptions } from '../../identity/credentials.js'
import { peerIdStringFromPublicKey } from '../../identity/peer-id.js'
import { didKeyFromPublicKey } from '../../identity/did-key.js'
import { acme, alice, bob, globex, principal, seedFor } from '../helpers/principals.js'
import { signMixedOrderR, signNonCanonicalR, signPlain } from './ed25519-craft.js'
import { fakeClock } from '../helpers/clock.js'
import { agentPayload, EDDSA, everyBitFlip, everyCharFlip, forge, nodePayload, type Json } from './forge.js'

const T0 = Date.UTC(2026, 0, 1)
const N = T0 / 1000

async function corpus (): Promise<Array<[string, string]>> {
  const clock = fakeClock(T0)
  const out: Array<[string, string]> = []
  const add = (name: string, t: string): void => { out.push([name, t]) }
  const peerId = peerIdStringFromPublicKey(principal('acme-node-1').publicKey)
  const good = await issueAgentCredential(acme, { agentDid: alice.did, name: 'alice', ring: 2, capabilities: ['records/read', 'orders/*'] }, { clock, ttlSeconds: 3600 })
  add('good agent', good)
  add('good node', await issueNodeCredential(acme, { peerId, orgName: 'Acme' }, { clock, ttlSeconds: 3600 }))
  add('other org', await forge(EDDSA, agentPayload(globex.did, bob.did, clock), globex))
  add('Ed25519 alias', await forge({ alg: 'Ed25519', typ: 'JWT' }, agentPayload(acme.did, alice.did, clock), acme))
  add('alg none', await forge({ alg: 'none' }, agentPayload(acme.did, alice.did, clock), { none: true }))
  add('alg none signed', await forge({ alg: 'none' }, agentPayload(acme.did, alice.did, clock), acme))
  add('HS256 public key', await forge({ alg: 'HS256' }, agentPayload(acme.did, alice.did, clock), { hs256Key: acme.publicKey }))
  add('ES256K', await forge({ alg: 'ES256K' }, agentPayload(acme.did, alice.did, clock), acme))
  add('no alg', await forge({ typ: 'JWT' }, agentPayload(acme.did, alice.did, clock), acme))
  add('wrong key', await forge(EDDSA, agentPayload(acme.did, alice.did, clock), globex))
  const over: Array<[string, Json, Json?]> = [
    ['missing exp', { exp: undefined }], ['string exp', { exp: String(N + 10) }], ['missing iat', { iat: undefined }],
    ['past exp', { iat: N - 7200, nbf: N - 7200, exp: N - 3600 }], ['exp at skew edge', { iat: N - 7200, nbf: N - 7200, exp: N - 60 }],
    ['exp inside skew', { iat: N - 7200, nbf: N - 7200, exp: N - 59 }], ['future nbf', { nbf: N + 120 }], ['nbf inside skew', { nbf: N + 60 }],
    ['future iat', { nbf: undefined, iat: N + 120 }], ['future iat, valid nbf', { iat: N + 120 }],
    ['future iat and expired', { iat: N + 120, nbf: undefined, exp: N - 3600 }], ['future nbf and expired', { nbf: N + 120, exp: N - 3600 }],
    ['missing jti', { jti: undefined }], ['no vc', { vc: undefined }], ['sub mismatch', { sub: bob.did }],
    ['aud present', { aud: 'did:key:z6Mkother' }], ['ring 0', {}, { ring: 0 }], ['ring 1', {}, { ring: 1 }], ['org mismatch', {}, { org: globex.did }],
    ['self-issued iss', { iss: 'https://self-issued.me/v2' }], ['client_id only', { iss: undefined, client_id: acme.did }],
    ['did:web iss', { iss: 'did:web:acme.example' }, { org: 'did:web:acme.example' }], ['did:ethr iss', { iss: 'did:ethr:0x1234' }],
    ['DID URL iss', { iss: `${acme.did}#${acme.did.slice(8)}` }], ['truncated iss', { iss: acme.did.slice(0, 40) }],
    ['31-byte iss', { iss: 'did:key:' + base58btc.encode(new Uint8Array([0xed, 0x01, ...acme.publicKey.subarray(0, 31)])) }],
    ['33-byte iss', { iss: 'did:key:' + base58btc.encode(new Uint8Array([0xed, 0x01, ...acme.publicKey, 1])) }],
    ['malformed sub', { sub: 'did:key:zzz' }, { id: 'did:key:zzz' }]
  ]
  for (const [name, o, s] of over) add(name, await forge(EDDSA, agentPayload(acme.did, alice.did, clock, o, s ?? {}), acme))
  // a small-order issuer key: R = identity, S = 0 verifies for any message under Ed25519 itself
  const weak = didKeyFromPublicKey(new Uint8Array([1, ...new Uint8Array(31)]))
  const weakToken = await forge(EDDSA, agentPayload(weak, alice.did, clock), { none: true })
  add('small-order issuer, forged signature', weakToken + Buffer.from([1, ...new Uint8Array(63)]).toString('base64url'))
  // signatures ZIP-215 (did-jwt's noble) accepts and strict RFC 8032 (node:crypto) refuses
  const unsigned = await forge(EDDSA, agentPayload(acme.did, alice.did, clock), { none: true })
  const input = new Uint8Array(Buffer.from(unsigned.slice(0, -1), 'ascii'))
  const withSig = (sig: Uint8Array): string => unsigned + Buffer.from(sig).toString('base64url')
  add('crafted control signature', withSig(signPlain(seedFor('acme'), input)))
  add('non-canonical R (y = p + 1)', withSig(signNonCanonicalR(seedFor('acme'), input)))
  add('mixed-order R', withSig(signMixedOrderR(seedFor('acme'), input)))
  add('node bad peer id', await forge(EDDSA, nodePayload(acme.did, alice.did, clock), acme))
  for (const { index, token } of everyCharFlip(good)) add(`char flip ${index}`, token)
  for (const { index, token } of everyBitFlip(good)) add(`bit flip ${index}`, token)
  return out
}

describe('credential verification paths agree', () => {
  let tokens: Array<[string, string]>
  before(async () => { tokens = await corpus() })

  // every flip under the defaults; the other option sets (slower did-jwt runs) take every 8th flip
  const variants: Array<[string, number, (c: ReturnType<typeof fakeClock>) => VerifyCredentialOptions]> = [
    ['defaults, expected issuer acme', 1, (clock) => ({ clock, expectedIssuer: acme.did })],
    ['no expected issuer, alias allowed, no skew', 8, (clock) => ({ clock, allowEd25519Alias: true, skewSeconds: 0 })],
    ['expecting a NodeCredential', 8, (clock) => ({ clock, expectedType: 'NodeCredential' })]
  ]
  for (const [name, stride, make] of variants) {
    it(`native and did-jwt give the same verdict and code for every token (${name})`, async () => {
      const options = make(fakeClock(T0))
      let accepted = 0
      const codes = new Set<string>()
      const sample = tokens.filter(([tname], i) => !tname.includes('flip') || i % stride === 0)
      for (const [tname, t] of sample) {
        const a = verifyCredential(t, options)
        const b = await verifyCredentialDidJwt(t, options)
        expect(b.ok, `${tname}: native ${a.ok ? 'accepts' : a.error.code}, did-jwt ${b.ok ? 'accepts' : b.error.code + ' ' + b.error.message}`).to.equal(a.ok)
        if (!a.ok && !b.ok) expect(b.error.code, `${tname}: ${b.error.message}`).to.equal(a.error.code)
        if (a.ok) accepted++
        else codes.add(a.error.code)
      }
      // the corpus exercises both verdicts and many distinct reasons
      expect(accepted).to.be.greaterThan(0)
      expect(codes.size).to.be.greaterThan(5)
    })
  }

  it('the good tokens are accepted and the rest rejected under the defaults', async () => {
    const options = { clock: fakeClock(T0), expectedIssuer: acme.did }
    const accepted = tokens.filter(([, t]) => verifyCredential(t, options).ok).map(([n]) => n)
    expect(accepted.sort()).to.deep.equal(['aud present', 'crafted control signature', 'exp inside skew', 'good agent', 'good node', 'nbf inside skew', 'ring 1'].sort())
  })

  it('refuses, on both paths, R encoded non-canonically (y = p + 1) and R of mixed order (strict RFC 8032)', async () => {
    const options = { clock: fakeClock(T0), expectedIssuer: acme.did }
    for (const name of ['non-canonical R (y = p + 1)', 'mixed-order R']) {
      const t = (tokens.find(([n]) => n === name) as [string, string])[1]
      const native = verifyCredential(t, options)
      const didJwt = await verifyCredentialDidJwt(t, options)
      expect([native.ok ? 'ok' : native.error.code, didJwt.ok ? 'ok' : didJwt.error.code], name).to.deep.equal(['BAD_SIGNATURE', 'BAD_SIGNATURE'])
    }
  })
})
