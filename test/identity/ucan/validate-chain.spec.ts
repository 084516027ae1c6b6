/** One example per reason code of validateInvocation, plus the happy path and multi-path cases. */
import { expect } from 'chai'
import { acme, alice, bob, carol, globex, mallory } from '../../helpers/principals.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import { verifyJwtSignature, signJwt, type DecodedJwt } from '../../../identity/jwt.js'
import { cidOfJwt } from '../../../identity/ucan/cid.js'
import { delegationPayload, issueDelegation, issueInvocation } from '../../../identity/ucan/token.js'
import { caveatsFor, issuersUpTo, validateInvocation, type ValidatedChain } from '../../../identity/ucan/validate-chain.js'
import { buildChain, cap, HOUR, opts, res, T0, T0S, toInput, type BuiltChain } from './fixtures.js'
import { flipChar, junkSigned, signRaw } from './forge.js'

function code (r: Result<unknown>): string {
  return r.ok ? 'OK' : r.error.code
}

/** acme -> alice (records/*), alice -> bob (records/read), bob invokes records/read on records/42. */
async function standard (): Promise<BuiltChain> {
  return await buildChain([
    { issuer: acme, audience: alice, capabilities: cap(res(acme), 'records/*') },
    { issuer: alice, audience: bob, capabilities: cap(res(acme), 'records/read', [{ maxAmount: 100 }]) }
  ], { resource: res(acme, 'records/42'), ability: 'records/read', caveats: [{ maxAmount: 50 }] })
}

describe('ucan/validateInvocation', () => {
  it('accepts a valid chain and reports what it used', async () => {
    const c = await standard()
    const r = validateInvocation(c.input, opts())
    if (!r.ok) throw new Error(r.error.message)
    const v: ValidatedChain = r.value
    expect(v.invoker).to.equal(bob.did)
    expect(v.links.map(l => l.cid)).to.deep.equal(c.links.map(l => l.cid))
    expect(v.links.map(l => l.issuer)).to.deep.equal([acme.did, alice.did])
    expect(v.capability).to.deep.equal({ resource: res(acme, 'records/42'), ability: 'records/read', caveats: [{ maxAmount: 50 }] })
    expect(v.invocationCid).to.equal(c.invocation.cid)
    expect([...v.dependsOn].sort()).to.deep.equal([...c.links.map(l => l.cid), c.invocation.cid].sort())
    expect(v.replayKeys).to.deep.equal([c.invocation.cid, `nnc:${bob.did}:n-1`])
    expect(caveatsFor(v).map(x => x.caveats)).to.deep.equal([[{}], [{ maxAmount: 100 }], [{ maxAmount: 50 }]])
    expect(issuersUpTo(v, c.links[1].cid)).to.deep.equal([acme.did, alice.did])
    expect(issuersUpTo(v, 'bafkreinope')).to.equal(undefined)
  })

  describe('signatures and algorithms (rule 1)', () => {
    it('rejects every single-character flip of a proof and of the invocation', async () => {
      const c = await standard()
      for (let i = 0; i < c.links[1].jwt.length; i++) {
        const proofs = { ...c.input.proofs, [c.links[1].cid]: flipChar(c.links[1].jwt, i) }
        expect(validateInvocation({ invocation: c.input.invocation, proofs }, opts()).ok, `proof flip at ${i}`).to.equal(false)
      }
      for (let i = 0; i < c.invocation.jwt.length; i++) {
        const r = validateInvocation({ invocation: flipChar(c.invocation.jwt, i), proofs: c.input.proofs }, opts())
        expect(r.ok, `invocation flip at ${i}`).to.equal(false)
      }
    })

    it('rejects a link signed by someone other than its iss (BAD_SIGNATURE, link set)', async () => {
      const c = await standard()
      const forged = await signJwt(delegationPayload(alice.did, { audience: bob.did, capabilities: cap(res(acme), 'records/read'), expiration: T0S + HOUR, notBefore: T0S - 60, proofs: [c.links[0].jwt] }), mallory)
      const inv = await issueInvocation(bob, { audience: acme.did, resource: res(acme, 'records/1'), ability: 'records/read', proof: forged, nonce: 'x', notBefore: T0S - 30, expiration: T0S + 60 })
      const r = validateInvocation(toInput(inv, [c.links[0], { jwt: forged, cid: cidOfJwt(forged) }]), opts())
      expect(code(r)).to.equal('BAD_SIGNATURE')
      expect(r.ok ? -1 : r.error.link).to.equal(1)
      expect(r.ok ? '' : r.error.message).to.match(/link 1/)
    })

    it('rejects a root link re-signed by a key other than its iss (BAD_SIGNATURE at link 0)', async () => {
      const root = await signJwt(delegationPayload(acme.did, { audience: alice.did, capabilities: cap(res(acme), 'records/*'), expiration: T0S + HOUR, notBefore: T0S - 60, proofs: [] }), mallory)
      const link = await issueDelegation(alice, { audience: bob.did, capabilities: cap(res(acme), 'records/read'), expiration: T0S + HOUR, notBefore: T0S - 60, proofs: [root] })
      const inv = await issueInvocation(bob, { audience: acme.did, resource: res(acme, 'records/1'), ability: 'records/read', proof: link.jwt, nonce: 'x', notBefore: T0S - 30, expiration: T0S + 60 })
      const r = validateInvocation(toInput(inv, [{ jwt: root, cid: cidOfJwt(root) }, link]), opts())
      expect(code(r)).to.equal('BAD_SIGNATURE')
      expect(r.ok ? -1 : r.error.link).to.equal(0)
      expect(r.ok ? '' : r.error.message).to.match(/link 0/)
    })

    it('rejects alg none, HS256 and the Ed25519 alias (unless allowed)', async () => {
      const c = await standard()
      const payload = delegationPayload(bob.did, { audience: acme.did, capabilities: cap(res(acme, 'records/42'), 'records/read', [{ maxAmount: 1 }]), nonce: 'a', notBefore: T0S - 30, expiration: T0S + 60, proofs: [c.links[1].jwt] })
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url') + '.' + Buffer.from(JSON.stringify(payload)).toString('base64url') + '.'
      expect(code(validateInvocation({ invocation: none, proofs: c.input.proofs }, opts()))).to.be.oneOf(['UNSUPPORTED_ALG', 'MALFORMED_TOKEN'])
      const hs = await signRaw({ alg: 'HS256', typ: 'JWT' }, payload, bob)
      expect(code(validateInvocation({ invocation: hs, proofs: c.input.proofs }, opts()))).to.equal('UNSUPPORTED_ALG')
      const alias = await signRaw({ alg: 'Ed25519', typ: 'JWT' }, payload, bob)
      expect(code(validateInvocation({ invocation: alias, proofs: c.input.proofs }, opts()))).to.equal('UNSUPPORTED_ALG')
      expect(code(validateInvocation({ invocation: alias, proofs: c.input.proofs }, opts({ allowEd25519Alias: true })))).to.equal('OK')
    })
  })

  describe('principals and root (rule 2)', () => {
    it('PRINCIPAL_MISALIGNED when a link is issued by someone other than its proof audience', async () => {
      const c = await buildChain([
        { issuer: acme, audience: alice, capabilities: cap(res(acme), 'records/*') },
        { issuer: carol, audience: bob, capabilities: cap(res(acme), 'records/read') }
      ], { resource: res(acme, 'records/42'), ability: 'records/read' })
      const r = validateInvocation(c.input, opts())
      expect(code(r)).to.equal('PRINCIPAL_MISALIGNED')
      expect(r.ok ? -1 : r.error.link).to.equal(1)
    })

    it('PRINCIPAL_MISALIGNED when the invoker is not the last audience, or aud is not the expected one', async () => {
      const c = await standard()
      const inv = await issueInvocation(mallory, { audience: acme.did, resource: res(acme, 'records/42'), ability: 'records/read', proof: c.links[1].jwt, nonce: 'm', notBefore: T0S - 30, expiration: T0S + 60 })
      const r = validateInvocation(toInput(inv, c.links), opts())
      expect(code(r)).to.equal('PRINCIPAL_MISALIGNED')
      expect(r.ok ? -1 : r.error.link).to.equal(2)
      expect(code(validateInvocation(c.input, opts({ audience: globex.did })))).to.equal('PRINCIPAL_MISALIGNED')
      expect(code(validateInvocation(c.input, opts({ audience: acme.did })))).to.equal('OK')
    })

    it('ROOT_NOT_OWNER when the root is not issued by the org in the resource', async () => {
      const c = await buildChain([
        { issuer: globex, audience: alice, capabilities: cap(res(acme), 'records/*') },
        { issuer: alice, audience: bob, capabilities: cap(res(acme), 'records/read') }
      ], { resource: res(acme, 'records/42'), ability: 'records/read' })
      const r = validateInvocation(c.input, opts())
      expect(code(r)).to.equal('ROOT_NOT_OWNER')
      expect(r.ok ? -1 : r.error.link).to.equal(0)
      const other = await buildChain([{ issuer: acme, audience: bob, capabilities: cap('https://example.org/x', 'records/read') }], { resource: 'https://example.org/x', ability: 'records/read' })
      expect(code(validateInvocation(other.input, opts()))).to.equal('ROOT_NOT_OWNER')
    })

    it('passes a failing principal check through with its code and link', async () => {
      const c = await standard()
      const r = validateInvocation(c.input, opts({ checkPrincipal: (did, role) => did === alice.did ? fail('NO_AGENT_CREDENTIAL', 'no credential') : ok(role) }))
      expect(code(r)).to.equal('NO_AGENT_CREDENTIAL')
      expect(r.ok ? -1 : r.error.link).to.equal(1)
      const roles: string[] = []
      validateInvocation(c.input, opts({ checkPrincipal: (did, role) => { roles.push(`${did === bob.did ? 'bob' : did === alice.did ? 'alice' : '?'}:${role}`); return ok(true) } }))
      expect(roles).to.deep.equal(['alice:delegator', 'bob:invoker'])
    })
  })

  describe('attenuation (rule 3)', () => {
    const cases: Array<[string, string, string, object[], string, RegExp]> = [
      ['broader resource', 'records', 'records/read', [{}], 'records/read', /resource .*records is not within .*records\/42/],
      ['broader ability', 'records/42', 'records/*', [{}], 'records/read', /ability records\/\* is not within records\/read/],
      ['dropped caveat field', 'records/42', 'records/read', [{}], 'records/read', /drops maxAmount/],
      ['loosened number', 'records/42', 'records/read', [{ maxAmount: 500 }], 'records/read', /raises maxAmount 100 -> 500/]
    ]
    for (const [name, childRes, childAbility, childCaveats, invAbility, why] of cases) {
      it(`ESCALATION on ${name}, naming link 1 and what widened`, async () => {
        const c = await buildChain([
          { issuer: acme, audience: alice, capabilities: cap(res(acme, 'records/42'), 'records/read', [{ maxAmount: 100 }]) },
          { issuer: alice, audience: bob, capabilities: cap(res(acme, childRes), childAbility, childCaveats) }
        ], { resource: res(acme, 'records/42'), ability: invAbility, caveats: [{ maxAmount: 1 }] })
        const r = validateInvocation(c.input, opts())
        expect(code(r)).to.equal('ESCALATION')
        if (r.ok) return
        expect(r.error.link).to.equal(1)
        expect(r.error.message).to.match(/^link 1 \(did:key:z6Mk/)
        expect(r.error.message).to.match(why)
      })
    }

    it('ESCALATION when the invocation itself widens (link = invocation index)', async () => {
      const c = await standard()
      const inv = await issueInvocation(bob, { audience: acme.did, resource: res(acme, 'records/42'), ability: 'records/write', proof: c.links[1].jwt, nonce: 'w', notBefore: T0S - 30, expiration: T0S + 60 })
      const r = validateInvocation(toInput(inv, c.links), opts())
      expect(code(r)).to.equal('ESCALATION')
      expect(r.ok ? '' : r.error.message).to.match(/invocation .* grants records\/write .* but its proof \(link 1, .*\) grants only records\/read/)
    })

    it('ESCALATION when a caveat object is added to the disjunction', async () => {
      const c = await buildChain([
        { issuer: acme, audience: alice, capabilities: cap(res(acme), 'records/read', [{ maxRing: 2 }]) },
        { issuer: alice, audience: bob, capabilities: cap(res(acme), 'records/read', [{ maxRing: 3 }, { policy: 'sha256:aa' }]) }
      ], { resource: res(acme, 'records/1'), ability: 'records/read', caveats: [{ maxRing: 3 }] })
      expect(code(validateInvocation(c.input, opts()))).to.equal('ESCALATION')
    })

    it('UNKNOWN_CAVEAT and INVALID_CAVEAT deny', async () => {
      const c = await buildChain([
        { issuer: acme, audience: alice, capabilities: cap(res(acme), 'records/read', [{ colour: 'red' } as object]) },
        { issuer: alice, audience: bob, capabilities: cap(res(acme), 'records/read', [{ colour: 'red' } as object]) }
      ], { resource: res(acme, 'records/1'), ability: 'records/read', caveats: [{ colour: 'red' } as object] })
      const r = validateInvocation(c.input, opts())
      expect(code(r)).to.equal('UNKNOWN_CAVEAT')
      expect(r.ok ? -1 : r.error.link).to.equal(0)
      const d = await buildChain([{ issuer: acme, audience: bob, capabilities: cap(res(acme), 'records/read', [{ maxRing: 0 }]) }], { resource: res(acme, 'records/1'), ability: 'records/read', caveats: [{ maxRing: 0 }] })
      expect(code(validateInvocation(d.input, opts()))).to.equal('INVALID_CAVEAT')
    })

    it('INVALID_INVOCATION when the invocation exercises more than one capability', async () => {
      const c = await standard()
      const inv = await issueDelegation(bob, { audience: acme.did, capabilities: { [res(acme, 'records/1')]: { 'records/read': [{}], 'records/list': [{}] } }, nonce: 'q', notBefore: T0S - 30, expiration: T0S + 60, proofs: [c.links[1].jwt] })
      expect(code(validateInvocation(toInput(inv, c.links), opts()))).to.equal('INVALID_INVOCATION')
    })
  })

  describe('time (rule 4)', () => {
    it('EXPIRED after exp + skew, accepted within skew', async () => {
      const c = await standard()
      expect(code(validateInvocation(c.input, opts({ now: T0 + 179_000 })))).to.equal('OK')
      const r = validateInvocation(c.input, opts({ now: T0 + 181_000 }))
      expect(code(r)).to.equal('EXPIRED')
      expect(r.ok ? -1 : r.error.link).to.equal(2)
      expect(code(validateInvocation(c.input, opts({ now: T0 + 2 * HOUR * 1000 })))).to.equal('EXPIRED')
    })

    it('NOT_YET_VALID before nbf - skew', async () => {
      const c = await standard()
      expect(code(validateInvocation(c.input, opts({ now: T0 - 10 * 60_000 })))).to.equal('NOT_YET_VALID')
    })

    it('MISSING_EXP unless requireExp is off', async () => {
      const c = await buildChain([
        { issuer: acme, audience: alice, capabilities: cap(res(acme), 'records/*'), expiration: null },
        { issuer: alice, audience: bob, capabilities: cap(res(acme), 'records/read') }
      ], { resource: res(acme, 'records/1'), ability: 'records/read' })
      const r = validateInvocation(c.input, opts())
      expect(code(r)).to.equal('MISSING_EXP')
      expect(r.ok ? -1 : r.error.link).to.equal(0)
      expect(code(validateInvocation(c.input, opts({ requireExp: false })))).to.equal('OK')
    })

    it('TIME_WIDENED when a child outlives or predates its proof', async () => {
      const later = await buildChain([
        { issuer: acme, audience: alice, capabilities: cap(res(acme), 'records/*') },
        { issuer: alice, audience: bob, capabilities: cap(res(acme), 'records/read'), expiration: T0S + 2 * HOUR }
      ], { resource: res(acme, 'records/1'), ability: 'records/read' })
      const r = validateInvocation(later.input, opts())
      expect(code(r)).to.equal('TIME_WIDENED')
      expect(r.ok ? -1 : r.error.link).to.equal(1)
      const earlier = await buildChain([
        { issuer: acme, audience: alice, capabilities: cap(res(acme), 'records/*') },
        { issuer: alice, audience: bob, capabilities: cap(res(acme), 'records/read'), notBefore: T0S - 120 }
      ], { resource: res(acme, 'records/1'), ability: 'records/read' })
      expect(code(validateInvocation(earlier.input, opts()))).to.equal('TIME_WIDENED')
    })

    it('TTL_TOO_LONG for delegations over maxTtlSeconds; INVOCATION_TTL_TOO_LONG over 5 minutes', async () => {
      const c = await standard()
      expect(code(validateInvocation(c.input, opts({ maxTtlSeconds: 600 })))).to.equal('TTL_TOO_LONG')
      const inv = await issueInvocation(bob, { audience: acme.did, resource: res(acme, 'records/42'), ability: 'records/read', caveats: [{ maxAmount: 1 }], proof: c.links[1].jwt, nonce: 'l', notBefore: T0S - 30, expiration: T0S + 600 })
      expect(code(validateInvocation(toInput(inv, c.links), opts()))).to.equal('INVOCATION_TTL_TOO_LONG')
    })
  })

  describe('structure and limits (rule 5)', () => {
    async function linear (n: number): Promise<BuiltChain> {
      const people = [alice, bob, carol, mallory]
      const specs = [{ issuer: acme, audience: people[0], capabilities: cap(res(acme), 'records/*') }]
      for (let i = 1; i < n; i++) specs.push({ issuer: people[(i - 1) % 4], audience: people[i % 4], capabilities: cap(res(acme), 'records/*') })
      return await buildChain(specs, { resource: res(acme, 'records/1'), ability: 'records/read' })
    }

    it('accepts depth maxDepth and rejects maxDepth + 1 with CHAIN_TOO_DEEP', async () => {
      expect(code(validateInvocation((await linear(8)).input, opts()))).to.equal('OK')
      expect(code(validateInvocation((await linear(9)).input, opts()))).to.equal('CHAIN_TOO_DEEP')
      expect(code(validateInvocation((await linear(3)).input, opts({ maxDepth: 3 })))).to.equal('OK')
      expect(code(validateInvocation((await linear(4)).input, opts({ maxDepth: 3 })))).to.equal('CHAIN_TOO_DEEP')
    })

    it('rejects a 10,000-link chain before any signature work', () => {
      const proofs: Record<string, string> = {}
      let prev: string | undefined
      for (let i = 0; i < 10_000; i++) {
        const jwt = junkSigned({ ucv: '0.10.0', iss: alice.did, aud: alice.did, exp: T0S + HOUR, cap: cap(res(acme), 'records/*'), prf: prev === undefined ? [] : [prev] })
        prev = cidOfJwt(jwt)
        proofs[prev] = jwt
      }
      const invocation = junkSigned({ ucv: '0.10.0', iss: alice.did, aud: acme.did, nnc: 'z', exp: T0S + 60, cap: cap(res(acme, 'records/1'), 'records/read'), prf: [prev] })
      let calls = 0
      const verifySignature = (jwt: DecodedJwt, did: string): Result<true> => { calls++; return verifyJwtSignature(jwt, did) }
      for (const extra of [{}, { maxProofs: 20_000, maxTotalBytes: 64 * 1024 * 1024 }]) {
        const started = performance.now()
        const r = validateInvocation({ invocation, proofs }, opts({ verifySignature, ...extra }))
        const ms = performance.now() - started
        expect(code(r)).to.be.oneOf(['TOO_MANY_PROOFS', 'CHAIN_TOO_LARGE', 'CHAIN_TOO_DEEP'])
        expect(ms).to.be.below(100)
      }
      expect(code(validateInvocation({ invocation, proofs }, opts({ verifySignature, maxProofs: 20_000, maxTotalBytes: 64 * 1024 * 1024 })))).to.equal('CHAIN_TOO_DEEP')
      expect(calls).to.equal(0)
    })

    it('TOO_MANY_PROOFS and CHAIN_TOO_LARGE caps', async () => {
      const c = await standard()
      expect(code(validateInvocation(c.input, opts({ maxProofs: 1 })))).to.equal('TOO_MANY_PROOFS')
      expect(code(validateInvocation(c.input, opts({ maxTotalBytes: 1000 })))).to.equal('CHAIN_TOO_LARGE')
    })

    it('CYCLE when proofs point back at each other (shipped under claimed CIDs)', () => {
      const a = cidOfJwt('a')
      const b = cidOfJwt('b')
      const body = (prf: string): Record<string, unknown> => ({ ucv: '0.10.0', iss: alice.did, aud: alice.did, exp: T0S + HOUR, cap: cap(res(acme), 'records/*'), prf: [prf] })
      const proofs = { [a]: junkSigned(body(b)), [b]: junkSigned(body(a)) }
      const invocation = junkSigned({ ucv: '0.10.0', iss: alice.did, aud: acme.did, nnc: 'z', exp: T0S + 60, cap: cap(res(acme, 'records/1'), 'records/read'), prf: [a] })
      expect(code(validateInvocation({ invocation, proofs }, opts()))).to.equal('CYCLE')
    })

    it('DUPLICATE_PROOF when prf lists a CID twice', async () => {
      const c = await standard()
      const inv = await issueDelegation(bob, { audience: acme.did, capabilities: cap(res(acme, 'records/42'), 'records/read'), nonce: 'd', notBefore: T0S - 30, expiration: T0S + 60, proofs: [c.links[1].jwt, c.links[1].jwt] })
      expect(code(validateInvocation(toInput(inv, c.links), opts()))).to.equal('DUPLICATE_PROOF')
    })

    it('CID_MISMATCH when a proof is shipped under another token\'s CID; MISSING_PROOF when absent', async () => {
      const c = await standard()
      const other = await issueDelegation(acme, { audience: alice.did, capabilities: cap(res(acme), 'records/*'), nonce: 'other', notBefore: T0S - 60, expiration: T0S + HOUR })
      const r = validateInvocation({ invocation: c.input.invocation, proofs: { ...c.input.proofs, [c.links[0].cid]: other.jwt } }, opts())
      expect(code(r)).to.equal('CID_MISMATCH')
      const proofs = { ...c.input.proofs }
      delete proofs[c.links[0].cid]
      expect(code(validateInvocation({ invocation: c.input.invocation, proofs }, opts()))).to.equal('MISSING_PROOF')
    })
  })

  describe('revocation, freshness and replay (rules 6, 7)', () => {
    it('REVOKED names the middle link', async () => {
      const c = await standard()
      const r = validateInvocation(c.input, opts({ revoked: cid => cid === c.links[1].cid }))
      expect(code(r)).to.equal('REVOKED')
      expect(r.ok ? -1 : r.error.link).to.equal(1)
      expect(r.ok ? '' : r.error.message).to.contain(c.links[1].cid)
    })

    it('REPLAYED when the CID or the invoker-scoped nonce was seen', async () => {
      const c = await standard()
      expect(code(validateInvocation(c.input, opts({ seen: k => k === c.invocation.cid })))).to.equal('REPLAYED')
      expect(code(validateInvocation(c.input, opts({ seen: k => k === `nnc:${bob.did}:n-1` })))).to.equal('REPLAYED')
      expect(code(validateInvocation(c.input, opts({ seen: k => k === `nnc:${alice.did}:n-1` })))).to.equal('OK')
    })

    it('MISSING_NONCE when the invocation has no nnc', async () => {
      const c = await standard()
      const inv = await issueDelegation(bob, { audience: acme.did, capabilities: cap(res(acme, 'records/42'), 'records/read', [{ maxAmount: 1 }]), notBefore: T0S - 30, expiration: T0S + 60, proofs: [c.links[1].jwt] })
      expect(code(validateInvocation(toInput(inv, c.links), opts()))).to.equal('MISSING_NONCE')
    })
  })

  describe('several proofs', () => {
    async function twoPaths (): Promise<{ a: BuiltChain, b: BuiltChain, input: { invocation: string, proofs: Record<string, string> } }> {
      const a = await buildChain([
        { issuer: acme, audience: alice, capabilities: cap(res(acme), 'records/*'), nonce: 'a' },
        { issuer: alice, audience: bob, capabilities: cap(res(acme), 'records/read') }
      ], { resource: res(acme, 'records/1'), ability: 'records/read' })
      const b = await buildChain([
        { issuer: acme, audience: carol, capabilities: cap(res(acme), 'records/*'), nonce: 'b' },
        { issuer: carol, audience: bob, capabilities: cap(res(acme), 'records/read') }
      ], { resource: res(acme, 'records/1'), ability: 'records/read' })
      const inv = await issueDelegation(bob, { audience: acme.did, capabilities: cap(res(acme, 'records/1'), 'records/read'), nonce: 'p', notBefore: T0S - 30, expiration: T0S + 60, proofs: [a.links[1].jwt, b.links[1].jwt] })
      return { a, b, input: { invocation: inv.jwt, proofs: { ...a.input.proofs, ...b.input.proofs } } }
    }

    it('accepts through the surviving path when one is revoked', async () => {
      const { a, b, input } = await twoPaths()
      const r = validateInvocation(input, opts({ revoked: cid => cid === a.links[0].cid }))
      if (!r.ok) throw new Error(r.error.message)
      expect(r.value.links.map(l => l.cid)).to.deep.equal(b.links.map(l => l.cid))
    })

    it('reports each path\'s failure in causes', async () => {
      const { a, b, input } = await twoPaths()
      const same = validateInvocation(input, opts({ revoked: cid => cid === a.links[0].cid || cid === b.links[1].cid }))
      expect(code(same)).to.equal('REVOKED')
      expect(same.ok ? [] : same.error.causes?.map(c => c.link)).to.deep.equal([0, 1])
      const mixed = validateInvocation(input, opts({ revoked: cid => cid === a.links[0].cid, checkPrincipal: did => did === carol.did ? fail('NO_AGENT_CREDENTIAL', 'x') : ok(true) }))
      expect(code(mixed)).to.equal('NO_VALID_PATH')
      expect(mixed.ok ? [] : mixed.error.causes?.map(c => c.code)).to.deep.equal(['REVOKED', 'NO_AGENT_CREDENTIAL'])
    })
  })

  it('rejects non-string input without throwing', () => {
    expect(code(validateInvocation({ invocation: 42 as unknown as string, proofs: {} }, opts()))).to.equal('MALFORMED_TOKEN')
    expect(code(validateInvocation({ invocation: 'a.b.c', proofs: null as unknown as Record<string, string> }, opts()))).to.equal('MALFORMED_TOKEN')
  })
})
