import { expect } from 'chai'
import { evaluatePolicy } from '../../authz/evaluate.js'
import { loadPolicy, loadPolicyText } from '../../authz/load-policy.js'
import type { EffectivePolicy } from '../../authz/policy-document.js'
import type { PolicyRequest } from '../../authz/match.js'
import { loaderOf, ORG_POLICY, PARTNER, request, SELF } from './fixtures.js'

const org = loadPolicyText(ORG_POLICY, 'org.yaml')

describe('policy/evaluate', () => {
  const table: Array<[string, Partial<PolicyRequest>, string, string, string?]> = [
    ['read by a trusted partner', {}, 'allow', 'ALLOW', 'reads'],
    ['read with trust below the minimum', { trust: 200 }, 'deny', 'TRUST_TOO_LOW'],
    ['read with no trust score known', { trust: undefined }, 'deny', 'TRUST_UNKNOWN', 'reads'],
    ['unmapped ability', { ability: 'records/archive' }, 'deny', 'UNMAPPED_ABILITY'],
    ['write at ring 3', { ability: 'records/write', ring: 3, args: { size: 1 } }, 'deny', 'RING_TOO_LOW'],
    ['write at ring 2 within args', { ability: 'records/write', ring: 2, args: { size: 10 } }, 'allow', 'ALLOW', 'writes'],
    ['write at ring 2 over the args bound', { ability: 'records/write', ring: 2, args: { size: 5000 } }, 'deny', 'POLICY_DENY'],
    ['write without the argument (undecidable allow does not match)', { ability: 'records/write', ring: 2 }, 'deny', 'POLICY_DENY'],
    ['write with a string where a number is expected', { ability: 'records/write', ring: 2, args: { size: '10' } }, 'deny', 'POLICY_DENY'],
    ['payment read by a partner (explicit deny beats allow)', { ability: 'payments/read', ring: 1 }, 'deny', 'POLICY_DENY', 'no-payment-reads'],
    ['payment read by our own agent needs approval', { ability: 'payments/read', ring: 1, callerOrg: SELF }, 'require_approval', 'APPROVAL_REQUIRED', 'pay'],
    ['payment at ring 1', { ability: 'payments/send', ring: 1 }, 'require_approval', 'APPROVAL_REQUIRED', 'pay'],
    ['confused deputy: chain [1, 3] gives ring 3 for a ring-1 ability', { ability: 'payments/send', ring: 3 }, 'deny', 'RING_TOO_LOW'],
    ['ring 0 request', { ring: 0 }, 'deny', 'RING_INVALID'],
    ['malformed ability', { ability: 'records/*' }, 'deny', 'BAD_REQUEST'],
    ['trust out of range', { trust: 5000 }, 'deny', 'BAD_REQUEST'],
    ['missing caller org', { callerOrg: '' }, 'deny', 'BAD_REQUEST']
  ]
  for (const [name, over, effect, code, rule] of table) {
    it(`${name} -> ${effect} ${code}`, () => {
      const d = evaluatePolicy(org, request(over))
      expect(d.effect, d.reason).to.equal(effect)
      expect(d.code).to.equal(code)
      if (rule != null) expect(d.trace.some((t) => t.rule === rule && t.effect === effect), JSON.stringify(d.trace)).to.equal(true)
    })
  }

  it('explains what capped the ring', () => {
    const d = evaluatePolicy(org, request({ ability: 'payments/send', ring: 3, ringCappedBy: 'chain agent 1 (ring 3)' }))
    expect(d.reason).to.contain('effective ring 3 (capped by chain agent 1 (ring 3)) but payments/send needs ring 1')
  })

  it('names the deciding rule and level in the reason', () => {
    const d = evaluatePolicy(org, request({ ability: 'payments/read', ring: 1 }))
    expect(d.reason).to.contain("rule 'no-payment-reads'").and.contain('org.yaml')
  })

  it('denies NO_POLICY with no policy or an empty one', () => {
    expect(evaluatePolicy(undefined, request()).code).to.equal('NO_POLICY')
    expect(evaluatePolicy({ levels: [] }, request()).code).to.equal('NO_POLICY')
    expect(evaluatePolicy(undefined, request()).effect).to.equal('deny')
  })

  it('denies POLICY_ERROR when evaluation throws (broken policy object)', () => {
    const broken = { levels: [{ file: 'x', document: { ...org.levels[0].document, rules: null } }] } as unknown as EffectivePolicy
    const d = evaluatePolicy(broken, request())
    expect(d.effect).to.equal('deny')
    expect(d.code).to.equal('POLICY_ERROR')
  })

  it('treats an unknown effect or an allow default in a hand-built policy as deny', () => {
    const doc = org.levels[0].document
    const weird = { levels: [{ file: 'x', document: { ...doc, default: 'allow', rules: [{ id: 'w', effect: 'permit', match: {} }] } }] } as unknown as EffectivePolicy
    expect(evaluatePolicy(weird, request()).effect).to.equal('deny')
    const allowDefault = { levels: [{ file: 'x', document: { ...doc, default: 'allow', rules: [] } }] } as unknown as EffectivePolicy
    expect(evaluatePolicy(allowDefault, request()).effect).to.equal('deny')
  })

  it('a child that loosens can never loosen in practice (conjunction of levels)', () => {
    // built by hand, bypassing the load-time check: the child allows everything
    const child = loadPolicyText('version: 1\nname: loose\nrings: { "*": 3 }\nrules:\n  - { id: all, effect: allow, match: {} }\n', 'loose.yaml')
    const both: EffectivePolicy = { levels: [...org.levels, ...child.levels] }
    for (const over of [{ ability: 'payments/send', ring: 1 }, { ability: 'records/archive' }, { trust: 100 }, { ability: 'payments/read', ring: 1 }]) {
      expect(evaluatePolicy(both, request(over)).effect).to.equal(evaluatePolicy(org, request(over)).effect)
    }
  })

  it('conjunction: a child deny beats the parent allow; an abstaining child defers', () => {
    const docs = {
      'org.yaml': ORG_POLICY,
      'unit.yaml': `version: 1\nname: unit\nextends: [org.yaml]\nrules:\n  - { id: no-globex, effect: deny, match: { callerOrg: "${PARTNER}" } }\n`,
      'quiet.yaml': 'version: 1\nname: quiet\nextends: [org.yaml]\n'
    }
    const unit = loadPolicy('unit.yaml', loaderOf(docs))
    const d = evaluatePolicy(unit, request())
    expect(d.effect).to.equal('deny')
    expect(d.trace.map((t) => [t.file, t.effect])).to.deep.equal([['org.yaml', 'allow'], ['unit.yaml', 'deny']])
    expect(evaluatePolicy(unit, request({ callerOrg: SELF })).effect).to.equal('allow')
    const quiet = loadPolicy('quiet.yaml', loaderOf(docs))
    const q = evaluatePolicy(quiet, request())
    expect(q.effect).to.equal('allow')
    expect(q.trace[1].effect).to.equal('abstain')
  })

  it('a child with default require_approval under a require_approval root turns misses into approvals', () => {
    const p = loadPolicyText('version: 1\nname: r\ndefault: require_approval\nrings: { "*/read": 3 }\n', 'r.yaml')
    const d = evaluatePolicy(p, request())
    expect(d.effect).to.equal('require_approval')
    expect(d.code).to.equal('APPROVAL_REQUIRED')
  })

  it('matches resource prefixes and caller orgs by list', () => {
    const p = loadPolicyText(`version: 1
name: r
rings: { "*/read": 3 }
rules:
  - { id: r, effect: allow, match: { resource: "tm:${SELF}/records", callerOrg: ["${PARTNER}"] } }
`, 'r.yaml')
    expect(evaluatePolicy(p, request()).effect).to.equal('allow')
    expect(evaluatePolicy(p, request({ resource: `tm:${SELF}/recordsx/1` })).effect).to.equal('deny')
    expect(evaluatePolicy(p, request({ callerOrg: 'did:key:z6MkOther' })).effect).to.equal('deny')
  })

  it('a deny rule whose argument condition cannot be decided still denies', () => {
    const p = loadPolicyText(`version: 1
name: r
rings: { "*/read": 3 }
rules:
  - { id: ok, effect: allow, match: { ability: "*/read" } }
  - { id: big, effect: deny, match: { args: { limit: { gt: 100 } } } }
`, 'r.yaml')
    expect(evaluatePolicy(p, request({ args: { limit: 5 } })).effect).to.equal('allow')
    expect(evaluatePolicy(p, request({ args: { limit: 500 } })).code).to.equal('POLICY_DENY')
    expect(evaluatePolicy(p, request({ args: {} })).effect).to.equal('deny')
    expect(evaluatePolicy(p, request({ args: { limit: 'lots' } })).effect).to.equal('deny')
  })

  it('supports in, eq and maxLength on args', () => {
    const p = loadPolicyText(`version: 1
name: r
rings: { "*/read": 3 }
rules:
  - { id: ok, effect: allow, match: { args: { region: { in: [eu, us] }, fmt: { eq: json }, q: { maxLength: 3 } } } }
`, 'r.yaml')
    expect(evaluatePolicy(p, request({ args: { region: 'eu', fmt: 'json', q: 'abc' } })).effect).to.equal('allow')
    expect(evaluatePolicy(p, request({ args: { region: 'cn', fmt: 'json', q: 'abc' } })).effect).to.equal('deny')
    expect(evaluatePolicy(p, request({ args: { region: 'eu', fmt: 'xml', q: 'abc' } })).effect).to.equal('deny')
    expect(evaluatePolicy(p, request({ args: { region: 'eu', fmt: 'json', q: 'abcd' } })).effect).to.equal('deny')
    expect(evaluatePolicy(p, request({ args: Object.create({ region: 'eu', fmt: 'json', q: 'a' }) as unknown })).effect).to.equal('deny')
  })
})
