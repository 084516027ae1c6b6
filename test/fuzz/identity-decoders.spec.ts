/**
 * Hostile input for the identity decoders (DESIGN 11): JWTs, did:keys, credentials, delegations and
 * whole invocation chains built from garbage, near-misses of valid tokens and validly signed nonsense.
 * Each must answer with a coded failure, never throw, and answer quickly.
 */
import fc from 'fast-check'
import { expect } from 'chai'
import { decodeJwt, signJwt } from '../../identity/jwt.js'
import { parseDidKey } from '../../identity/did-key.js'
import { issueAgentCredential, issueNodeCredential, verifyCredential, AGENT_CREDENTIAL, NODE_CREDENTIAL } from '../../identity/credentials.js'
import { peerIdStringFromPublicKey, libp2pPrivateKeyFromSeed } from '../../identity/peer-id.js'
import { decodeDelegation } from '../../identity/ucan/token.js'
import { validateInvocation } from '../../identity/ucan/validate-chain.js'
import { fakeClock } from '../helpers/clock.js'
import { acme, alice, bob, mallory, seedFor } from '../helpers/principals.js'
import { buildChain, cap, opts, res, T0 } from '../identity/ucan/fixtures.js'
import { b64url, deepJson, expectResult, jwtish, mutated, nastyJson, params, HOSTILE_TEXTS } from './fuzz-kit.js'

const clock = fakeClock(T0)

describe('fuzz: identity decoders', function () {
  this.timeout(60_000)
  let agentCred: string
  let nodeCred: string
  let chain: Awaited<ReturnType<typeof buildChain>>

  before(async () => {
    agentCred = await issueAgentCredential(acme, { agentDid: alice.did, name: 'alice', ring: 2, capabilities: ['records/read'] }, { clock, ttlSeconds: 3600 })
    const key = await libp2pPrivateKeyFromSeed(seedFor('acme-node'))
    nodeCred = await issueNodeCredential(acme, { peerId: peerIdStringFromPublicKey(key.publicKey.raw), orgName: 'acme' }, { clock, ttlSeconds: 3600 })
    chain = await buildChain([
      { issuer: acme, audience: alice, capabilities: cap(res(acme), 'records/read') },
      { issuer: alice, audience: bob, capabilities: cap(res(acme), 'records/read') }
    ], { resource: res(acme, 'records/42'), ability: 'records/read' })
  })

  it('the valid seeds are valid (so the mutations below start from something real)', () => {
    expect(verifyCredential(agentCred, { clock, expectedType: AGENT_CREDENTIAL }).ok).to.equal(true)
    expect(verifyCredential(nodeCred, { clock, expectedType: NODE_CREDENTIAL }).ok).to.equal(true)
    expect(validateInvocation(chain.input, opts()).ok).to.equal(true)
  })

  it('decodeJwt: garbage, JWT-shaped garbage and mutations of a valid token give a coded failure', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), jwtish, mutated(agentCred), nastyJson), (t) => {
      expectResult('decodeJwt', () => decodeJwt(t))
    }), params(400))
  })

  it('decodeJwt: deep nesting, huge and non-string tokens are refused quickly', () => {
    for (const [name, text] of HOSTILE_TEXTS) {
      const r1 = expectResult(`decodeJwt(header: ${name})`, () => decodeJwt(`${b64url(text)}.${b64url({ a: 1 })}.${'A'.repeat(86)}`, { maxBytes: 4 * 1024 * 1024 }))
      expect(r1.ok, name).to.equal(false)
      const r2 = expectResult(`decodeJwt(raw: ${name})`, () => decodeJwt(text))
      expect(r2.ok, name).to.equal(false)
    }
    expect(expectResult('deep payload', () => decodeJwt(`${b64url({ alg: 'EdDSA' })}.${b64url(deepJson(20, '{"a":', '}'))}.${'A'.repeat(86)}`)).ok).to.equal(false)
    for (const v of [undefined, null, 42, {}, [], Symbol('x'), () => 1, new Uint8Array(8)]) {
      expect(expectResult('decodeJwt(non-string)', () => decodeJwt(v)).ok).to.equal(false)
    }
  })

  it('parseDidKey: garbage, near-misses and mutations of a valid did:key give a coded failure', () => {
    const near = fc.tuple(fc.constantFrom('did:key:', 'did:key:z', 'did:web:', 'did:key:z6Mk', 'DID:key:z'), fc.string({ maxLength: 80 })).map(([a, b]) => a + b)
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), near, mutated(alice.did), nastyJson), (d) => {
      const r = expectResult('parseDidKey', () => parseDidKey(d))
      if (r.ok) expect(r.value).to.have.length(32)
    }), params(500))
    expect(parseDidKey('did:key:z' + '1'.repeat(100_000)).ok).to.equal(false)
  })

  it('verifyCredential: garbage, mutations, and validly signed nonsense claims are refused with a code', async () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), jwtish, mutated(agentCred), mutated(nodeCred), nastyJson), (t) => {
      const r = expectResult('verifyCredential', () => verifyCredential(t, { clock }))
      if (r.ok) expect([agentCred, nodeCred]).to.include(t)
    }), params(300))
    // signed by a real key, so the claim checks behind the signature see hostile values
    await fc.assert(fc.asyncProperty(fc.dictionary(fc.constantFrom('iss', 'sub', 'iat', 'nbf', 'exp', 'jti', 'vc', 'x'), nastyJson, { maxKeys: 8 }), fc.boolean(), async (payload, realIss) => {
      const p = realIss ? { ...payload, iss: mallory.did } : payload
      const jwt = await signJwt(p, mallory)
      const r = expectResult('verifyCredential(signed nonsense)', () => verifyCredential(jwt, { clock }))
      expect(r.ok).to.equal(false)
    }), params(200))
  })

  it('decodeDelegation: garbage, mutations and validly signed nonsense give a coded failure', async () => {
    const inv = chain.invocation.jwt
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), jwtish, mutated(inv), mutated(chain.links[0].jwt), nastyJson), (t) => {
      expectResult('decodeDelegation', () => decodeDelegation(t))
    }), params(300))
    const field = fc.constantFrom('ucv', 'iss', 'aud', 'nbf', 'exp', 'nnc', 'fct', 'cap', 'prf')
    await fc.assert(fc.asyncProperty(fc.dictionary(field, nastyJson, { maxKeys: 9 }), async (payload) => {
      const jwt = await signJwt({ ucv: '0.10.0', iss: mallory.did, aud: alice.did, ...payload }, mallory)
      expectResult('decodeDelegation(signed nonsense)', () => decodeDelegation(jwt))
    }), params(200))
  })

  it('validateInvocation: garbage proofs maps, mutated links and bad invocations are refused with a code', () => {
    const { input } = chain
    const cids = Object.keys(input.proofs)
    const proofsMap = fc.oneof(
      nastyJson,
      fc.dictionary(fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom(...cids, '__proto__', 'constructor')), fc.oneof(nastyJson, fc.constantFrom(...Object.values(input.proofs))), { maxKeys: 8 }),
      // the right CIDs with mutated tokens
      fc.tuple(fc.constantFrom(...cids), mutated(input.proofs[cids[0]])).map(([k, v]) => ({ ...input.proofs, [k]: v })),
      // a flood of proofs and oversized ones
      fc.constantFrom(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`c${i}`, 'x'])), { [cids[0]]: 'x'.repeat(300_000) })
    )
    const invocation = fc.oneof(fc.constant(input.invocation), mutated(input.invocation), jwtish, nastyJson)
    fc.assert(fc.property(invocation, proofsMap, (i, p) => {
      const r = expectResult('validateInvocation', () => validateInvocation({ invocation: i, proofs: p } as never, opts()))
      if (r.ok) expect(i).to.equal(input.invocation)
    }), params(300))
    for (const bad of [undefined, null, 42, 'x', [], { invocation: input.invocation }, { proofs: input.proofs }]) {
      expect(expectResult('validateInvocation(bad input)', () => validateInvocation(bad as never, opts())).ok).to.equal(false)
    }
  })
})
