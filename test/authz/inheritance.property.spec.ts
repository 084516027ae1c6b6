import { expect } from 'chai'
import fc from 'fast-check'
import { stringify } from 'yaml'
import { evaluateLevel, evaluatePolicy } from '../../authz/evaluate.js'
import { restrictiveness } from '../../authz/effects.js'
import { loadPolicy } from '../../authz/load-policy.js'
import { PolicyLoadError } from '../../authz/errors.js'
import { loaderOf, ORG_POLICY, PARTNER, request, SELF } from './fixtures.js'

const abilities = ['records/read', 'records/write', 'payments/read', 'payments/send', 'orders/read']
const patterns = [...abilities, '*/read', 'payments/*', 'records/*', '*']

const matchArb = fc.record({
  ability: fc.option(fc.subarray(patterns, { minLength: 1, maxLength: 2 }), { nil: undefined }),
  callerOrg: fc.option(fc.subarray(['self', 'partner'], { minLength: 1 }), { nil: undefined }),
  ring: fc.option(fc.record({ max: fc.integer({ min: 1, max: 3 }) }), { nil: undefined }),
  trust: fc.option(fc.record({ min: fc.constantFrom(0, 300, 500, 800) }), { nil: undefined }),
  args: fc.option(fc.record({ size: fc.record({ lte: fc.constantFrom(10, 1000, 5000) }) }), { nil: undefined })
}, { requiredKeys: [] })

const ruleArb = fc.record({
  id: fc.constantFrom('reads', 'writes', 'pay', 'c1', 'c2', 'c3'),
  effect: fc.constantFrom('allow', 'deny', 'require_approval'),
  match: matchArb
})

const childArb = fc.record({
  default: fc.option(fc.constantFrom('deny', 'require_approval'), { nil: undefined }),
  rings: fc.option(fc.dictionary(fc.constantFrom(...patterns), fc.integer({ min: 1, max: 3 }), { maxKeys: 2 }), { nil: undefined }),
  rules: fc.uniqueArray(ruleArb, { selector: (r) => r.id, maxLength: 3 })
})

const requestArb = fc.record({
  ability: fc.constantFrom(...abilities),
  ring: fc.integer({ min: 1, max: 3 }),
  trust: fc.option(fc.constantFrom(0, 299, 300, 500, 800, 1000), { nil: undefined }),
  callerOrg: fc.constantFrom(SELF, PARTNER),
  args: fc.option(fc.record({ size: fc.constantFrom(5, 500, 3000, 9000) }), { nil: undefined })
})

function strip (v: unknown): unknown {
  return JSON.parse(JSON.stringify(v))
}

describe('policy/inheritance (properties)', () => {
  it('a child that loads never allows what its parent would not, level by level or in total', () => {
    let accepted = 0
    fc.assert(fc.property(childArb, fc.array(requestArb, { minLength: 5, maxLength: 5 }), (child, reqs) => {
      const text = stringify(strip({ version: 1, name: 'unit', extends: ['org.yaml'], ...child }))
      let policy
      try {
        policy = loadPolicy('unit.yaml', loaderOf({ 'org.yaml': ORG_POLICY, 'unit.yaml': text }))
      } catch (err) {
        if (err instanceof PolicyLoadError) return
        throw err
      }
      accepted++
      const [parentLevel, childLevel] = policy.levels
      for (const r of reqs) {
        const req = request(r)
        const parentAlone = evaluatePolicy({ levels: [parentLevel] }, req)
        const both = evaluatePolicy(policy, req)
        expect(restrictiveness(both.effect)).to.be.at.least(restrictiveness(parentAlone.effect))
        const c = evaluateLevel(childLevel, 1, req)
        const p = evaluateLevel(parentLevel, 0, req)
        if (c.effect !== 'abstain') expect(restrictiveness(c.effect), `${text}\n${JSON.stringify(req)}\n${c.reason} vs ${p.reason}`).to.be.at.least(restrictiveness(p.effect))
      }
    }), { numRuns: 200, seed: 42 })
    expect(accepted).to.be.greaterThan(10)
  })
})
