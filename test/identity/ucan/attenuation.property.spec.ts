/**
 * Property tests: authority only narrows along any generated valid chain, and any single widened link
 * (broader resource or ability, dropped or loosened caveat, added caveat object, widened time) is
 * rejected with ESCALATION or TIME_WIDENED naming that link.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { acme, alice, bob, carol, mallory } from '../../helpers/principals.js'
import type { Signer } from '../../../identity/signer.js'
import { capabilityWithin, type Capability } from '../../../identity/ucan/capability.js'
import type { CaveatObject } from '../../../identity/ucan/caveats.js'
import { issueDelegation, issueInvocation, type IssuedToken } from '../../../identity/ucan/token.js'
import { validateInvocation } from '../../../identity/ucan/validate-chain.js'
import { opts, res, T0S, toInput } from './fixtures.js'

interface Spec { resource: string, ability: string, caveats: CaveatObject[], nbf: number, exp: number }
type Mutable = { -readonly [K in keyof CaveatObject]: CaveatObject[K] }

const step = fc.record({
  seg: fc.integer({ min: 0, max: 3 }),
  abil: fc.integer({ min: 0, max: 2 }),
  keep: fc.array(fc.nat(3), { minLength: 1, maxLength: 2 }),
  amountCut: fc.nat(100),
  trustAdd: fc.nat(200),
  ringAdd: fc.nat(2),
  addPolicy: fc.boolean(),
  nbfAdd: fc.nat(100),
  expCut: fc.nat(1000)
})
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never

const rootArb = fc.array(fc.record({ maxAmount: fc.integer({ min: 500, max: 1000 }), maxRing: fc.integer({ min: 1, max: 2 }), minTrust: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }) }), { minLength: 1, maxLength: 2 })
  .map(objs => objs.map(o => { const c: Mutable = { maxAmount: o.maxAmount, maxRing: o.maxRing }; if (o.minTrust !== undefined) c.minTrust = o.minTrust; return c as CaveatObject }))

const SEGS = ['a', 'b', '42']
const PEOPLE = [alice, bob, carol, mallory]

function narrow (p: Spec, s: Step, isInvocation: boolean): Spec {
  const resource = s.seg === 0 ? p.resource : `${p.resource}/${SEGS[s.seg - 1]}`
  const ability = p.ability === 'records/*' ? ['records/*', 'records/read', 'records/write'][s.abil] : p.ability
  const caveats = s.keep.map(k => {
    const P = p.caveats[k % p.caveats.length]
    const c: Mutable = { ...P }
    c.maxAmount = Math.max(0, (P.maxAmount as number) - s.amountCut)
    if (P.minTrust !== undefined) c.minTrust = Math.min(1000, P.minTrust + s.trustAdd)
    else if (s.trustAdd > 100) c.minTrust = s.trustAdd
    c.maxRing = Math.min(3, (P.maxRing as number) + s.ringAdd)
    if (s.addPolicy && P.policy === undefined) c.policy = 'sha256:ab12'
    return c as CaveatObject
  })
  if (isInvocation) return { resource, ability, caveats, nbf: T0S - 10, exp: T0S + 60 }
  return { resource, ability, caveats, nbf: Math.min(T0S - 10, p.nbf + s.nbfAdd), exp: Math.max(T0S + 60, p.exp - s.expCut) }
}

/** specs[0] is the root, the last spec is the invocation. */
function derive (root: CaveatObject[], steps: Step[]): Spec[] {
  const specs: Spec[] = [{ resource: res(acme, 'records'), ability: 'records/*', caveats: root, nbf: T0S - 1000, exp: T0S + 5000 }]
  for (let i = 0; i < steps.length; i++) specs.push(narrow(specs[i], steps[i], i === steps.length - 1))
  return specs
}

async function build (specs: Spec[]): Promise<{ invocation: IssuedToken, links: IssuedToken[] }> {
  const links: IssuedToken[] = []
  const n = specs.length - 1
  for (let i = 0; i < n; i++) {
    const issuer: Signer = i === 0 ? acme : PEOPLE[(i - 1) % 4]
    const s = specs[i]
    links.push(await issueDelegation(issuer, {
      audience: PEOPLE[i % 4].did, capabilities: { [s.resource]: { [s.ability]: s.caveats } }, notBefore: s.nbf, expiration: s.exp, proofs: i === 0 ? [] : [links[i - 1].jwt]
    }))
  }
  const v = specs[n]
  const invocation = await issueInvocation(PEOPLE[(n - 1) % 4], { audience: acme.did, resource: v.resource, ability: v.ability, caveats: v.caveats, proof: links[n - 1].jwt, nonce: 'p', notBefore: v.nbf, expiration: v.exp })
  return { invocation, links }
}

const chainArb = fc.tuple(rootArb, fc.array(step, { minLength: 2, maxLength: 7 })) // 1..6 links + invocation

describe('ucan/attenuation properties', () => {
  it('accepts every generated narrowing chain; the effective capability is within every link', async () => {
    await fc.assert(fc.asyncProperty(chainArb, async ([root, steps]) => {
      const specs = derive(root, steps)
      const { invocation, links } = await build(specs)
      const r = validateInvocation(toInput(invocation, links), opts())
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
      const caps: Capability[] = r.value.links.map(l => l.capability)
      for (let i = 1; i < caps.length; i++) expect(capabilityWithin(caps[i], caps[i - 1])).to.equal(true)
      for (const c of caps) expect(capabilityWithin(r.value.capability, c)).to.equal(true)
      expect(r.value.links.length).to.equal(specs.length - 1)
    }), { numRuns: 100 })
  })

  const kinds = ['resource', 'ability', 'dropField', 'loosen', 'addObject', 'exp', 'nbf'] as const
  it('rejects any single widened link with ESCALATION or TIME_WIDENED naming it', async () => {
    await fc.assert(fc.asyncProperty(chainArb, fc.nat(), fc.constantFrom(...kinds), async ([root, steps], pick, kind) => {
      const specs = derive(root, steps)
      const n = specs.length - 1
      const timeKind = kind === 'exp' || kind === 'nbf'
      if (timeKind && n < 2) return // only delegations (links 1..n-1) are widened in time
      const k = timeKind ? 1 + (pick % (n - 1)) : 1 + (pick % n)
      const p = specs[k - 1]
      const s = { ...specs[k] }
      const parentMax = Math.max(...p.caveats.map(c => c.maxAmount as number))
      switch (kind) {
        case 'resource': s.resource = res(acme, ''); break
        case 'ability': s.ability = '*'; break
        case 'dropField': s.caveats = s.caveats.map(c => { const { maxAmount: _drop, ...rest } = c; return rest }); break
        case 'loosen': s.caveats = s.caveats.map(c => ({ ...c, maxAmount: parentMax + 1 })); break
        case 'addObject': s.caveats = [...s.caveats, { maxRing: 3 }]; break
        case 'exp': s.exp = p.exp + 1; break
        case 'nbf': s.nbf = p.nbf - 1; break
      }
      specs[k] = s
      const { invocation, links } = await build(specs)
      const r = validateInvocation(toInput(invocation, links), opts())
      expect(r.ok, kind).to.equal(false)
      if (r.ok) return
      expect(r.error.code).to.equal(timeKind ? 'TIME_WIDENED' : 'ESCALATION')
      expect(r.error.link).to.equal(k)
    }), { numRuns: 150 })
  })
})
