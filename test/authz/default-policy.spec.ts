import { expect } from 'chai'
import { DEFAULT_POLICY_YAML } from '../../authz/default-policy.js'
import { evaluatePolicy } from '../../authz/evaluate.js'
import { loadPolicy, loadPolicyText } from '../../authz/load-policy.js'
import { requiredRing } from '../../authz/rings.js'
import { PolicyLoadError } from '../../authz/errors.js'
import { loaderOf, request, SELF } from './fixtures.js'

const policy = loadPolicyText(DEFAULT_POLICY_YAML, 'policy.yaml')

describe('policy/default-policy', () => {
  it('loads, defaults to deny, and maps the documented rings', () => {
    expect(policy.levels[0].document.default).to.equal('deny')
    expect(requiredRing(policy, 'records/read')).to.equal(3)
    expect(requiredRing(policy, 'records/write')).to.equal(2)
    expect(requiredRing(policy, 'payments/send')).to.equal(1)
    expect(requiredRing(policy, 'records/delete')).to.equal(1)
  })

  const table: Array<[string, Parameters<typeof request>[0], string, string]> = [
    ['partner read at trust 300', { trust: 300 }, 'allow', 'ALLOW'],
    ['partner read at trust 299', { trust: 299 }, 'deny', 'TRUST_TOO_LOW'],
    ['partner read with no score', { trust: undefined }, 'deny', 'TRUST_UNKNOWN'],
    ['own agent read with no score', { callerOrg: SELF, trust: undefined }, 'allow', 'ALLOW'],
    ['partner write at ring 2, trust 500', { ability: 'records/write', ring: 2, trust: 500 }, 'allow', 'ALLOW'],
    ['partner write at ring 2, trust 499', { ability: 'records/write', ring: 2, trust: 499 }, 'deny', 'TRUST_TOO_LOW'],
    ['partner write at ring 3', { ability: 'records/write', ring: 3 }, 'deny', 'RING_TOO_LOW'],
    ['payment at ring 1', { ability: 'payments/send', ring: 1, trust: 800 }, 'require_approval', 'APPROVAL_REQUIRED'],
    ['delete at ring 2', { ability: 'records/delete', ring: 2 }, 'deny', 'RING_TOO_LOW'],
    ['unmapped ability, even at ring 1 and full trust', { ability: 'admin/shutdown', ring: 1, trust: 1000 }, 'deny', 'UNMAPPED_ABILITY'],
    ['unmapped write', { ability: 'records/update', ring: 1, callerOrg: SELF }, 'deny', 'UNMAPPED_ABILITY']
  ]
  for (const [name, over, effect, code] of table) {
    it(`${name} -> ${effect} ${code}`, () => {
      const d = evaluatePolicy(policy, request(over))
      expect(d.effect, d.reason).to.equal(effect)
      expect(d.code).to.equal(code)
    })
  }

  it('is not allow-all: most of a sample of requests are refused', () => {
    let allowed = 0
    let total = 0
    for (const ability of ['records/read', 'records/write', 'payments/send', 'x/y', 'records/delete', 'tasks/run']) {
      for (const ring of [1, 2, 3]) {
        for (const trust of [undefined, 0, 299, 500, 1000]) {
          total++
          if (evaluatePolicy(policy, request({ ability, ring, trust })).effect === 'allow') allowed++
        }
      }
    }
    expect(allowed).to.be.greaterThan(0)
    expect(allowed / total).to.be.lessThan(0.5)
  })

  it('is a parent that refuses loosening children', () => {
    const child = 'version: 1\nname: unit\nextends: [policy.yaml]\nrules:\n  - { id: all, effect: allow, match: { ability: "*" } }\n'
    expect(() => loadPolicy('unit.yaml', loaderOf({ 'policy.yaml': DEFAULT_POLICY_YAML, 'unit.yaml': child }))).to.throw(PolicyLoadError, /all/)
  })
})
