import { expect } from 'chai'
import { parsePolicyDocument } from '../../authz/load-policy.js'
import { PolicyLoadCode, PolicyLoadError } from '../../authz/errors.js'
import { levelDefault } from '../../authz/policy-document.js'
import { PARTNER } from './fixtures.js'

function loadError (text: string): PolicyLoadError {
  try {
    parsePolicyDocument(text, 'unit.yaml')
  } catch (err) {
    expect(err).to.be.instanceOf(PolicyLoadError)
    return err as PolicyLoadError
  }
  throw new Error('expected a PolicyLoadError')
}

const rule = (match: string, extra = ''): string => `version: 1\nname: t\nrules:\n  - id: r1\n    effect: allow\n    match: ${match}\n${extra}`

describe('policy/policy-document', () => {
  it('a require_approval rule may require N approvals from a role', () => {
    const d = parsePolicyDocument('version: 1\nname: t\nrules:\n  - { id: two, effect: require_approval, match: {}, approvals: { count: 2, role: payments-approver } }\n', 'a.yaml')
    expect(d.rules[0].approvals).to.deep.equal({ count: 2, role: 'payments-approver' })
  })

  it('parses YAML and the same document as JSON to the same value', () => {
    const y = parsePolicyDocument(`version: 1\nname: t\nrings: { "*/read": 3 }\nrules:\n  - id: a\n    effect: deny\n    match: { ability: x/read }\n`, 'a.yaml')
    const j = parsePolicyDocument(JSON.stringify({ version: 1, name: 't', rings: { '*/read': 3 }, rules: [{ id: 'a', effect: 'deny', match: { ability: ['x/read'] } }] }), 'a.json')
    expect(y).to.deep.equal(j)
    expect(y.default).to.equal(undefined)
    expect(levelDefault(y)).to.equal('deny') // a root without a default denies
    expect(levelDefault({ ...y, extends: ['org.yaml'] })).to.equal('abstain') // a child without one defers
  })

  const schemaErrors: Array<[string, string, { rule?: string, field?: string }]> = [
    ['unknown top-level field', 'version: 1\nname: t\nallowAll: true\n', { field: 'allowAll' }],
    ['unknown rule field', 'version: 1\nname: t\nrules:\n  - { id: r1, effect: allow, match: {}, when: now }\n', { rule: 'r1', field: 'when' }],
    ['unknown match field', rule('{ ability: x/read, time: 3 }'), { rule: 'r1', field: 'match.time' }],
    ['unknown arg operator', rule('{ ability: x/read, args: { amount: { below: 3 } } }'), { rule: 'r1', field: 'match.args.amount.below' }],
    ['unknown ring operator', rule('{ ring: { above: 1 } }'), { rule: 'r1', field: 'match.ring.above' }],
    ['unknown trust operator', rule('{ trust: { max: 1 } }'), { rule: 'r1', field: 'match.trust.max' }],
    ['wrong version', 'version: 2\nname: t\n', { field: 'version' }],
    ['missing name', 'version: 1\n', { field: 'name' }],
    ['default allow refused', 'version: 1\nname: t\ndefault: allow\n', { field: 'default' }],
    ['unknown effect', 'version: 1\nname: t\nrules:\n  - { id: r1, effect: permit, match: {} }\n', { rule: 'r1', field: 'effect' }],
    ['missing match', 'version: 1\nname: t\nrules:\n  - { id: r1, effect: deny }\n', { rule: 'r1', field: 'match' }],
    ['approvals on an allow rule', 'version: 1\nname: t\nrules:\n  - { id: r1, effect: allow, match: {}, approvals: { count: 2 } }\n', { rule: 'r1', field: 'approvals' }],
    ['approvals count 0', 'version: 1\nname: t\nrules:\n  - { id: r1, effect: require_approval, match: {}, approvals: { count: 0 } }\n', { rule: 'r1', field: 'approvals.count' }],
    ['approvals count too high', 'version: 1\nname: t\nrules:\n  - { id: r1, effect: require_approval, match: {}, approvals: { count: 11 } }\n', { rule: 'r1', field: 'approvals.count' }],
    ['approvals without count', 'version: 1\nname: t\nrules:\n  - { id: r1, effect: require_approval, match: {}, approvals: { role: x } }\n', { rule: 'r1', field: 'approvals.count' }],
    ['approvals unknown field', 'version: 1\nname: t\nrules:\n  - { id: r1, effect: require_approval, match: {}, approvals: { count: 2, quorum: 3 } }\n', { rule: 'r1', field: 'approvals.quorum' }],
    ['approvals bad role', 'version: 1\nname: t\nrules:\n  - { id: r1, effect: require_approval, match: {}, approvals: { count: 2, role: "a b" } }\n', { rule: 'r1', field: 'approvals.role' }],
    ['duplicate rule id', 'version: 1\nname: t\nrules:\n  - { id: r1, effect: deny, match: {} }\n  - { id: r1, effect: deny, match: {} }\n', { rule: 'r1', field: 'id' }],
    ['bad ability glob', rule('{ ability: "rec*/read" }'), { rule: 'r1', field: 'match.ability[0]' }],
    ['star in the middle', rule('{ ability: "a/*/b" }'), { rule: 'r1', field: 'match.ability[0]' }],
    ['ring out of range', 'version: 1\nname: t\nrings: { x/read: 4 }\n', { field: 'rings.x/read' }],
    ['ring min above max', rule('{ ring: { min: 3, max: 1 } }'), { rule: 'r1', field: 'match.ring' }],
    ['trust out of range', rule('{ trust: { min: 2000 } }'), { rule: 'r1', field: 'match.trust.min' }],
    ['lte on a string', rule('{ args: { amount: { lte: "10" } } }'), { rule: 'r1', field: 'match.args.amount.lte' }],
    ['proto path', rule('{ args: { __proto__x: { eq: 1 }, "a.__proto__": { eq: 1 } } }'), { rule: 'r1', field: 'match.args.a.__proto__' }],
    ['bad caller org', rule('{ callerOrg: "did:web:example.com" }'), { rule: 'r1', field: 'match.callerOrg[0]' }],
    ['extends not strings', 'version: 1\nname: t\nextends: [1]\n', { field: 'extends[0]' }]
  ]
  for (const [name, text, where] of schemaErrors) {
    it(`schema error: ${name}`, () => {
      const e = loadError(text)
      expect(e.code).to.equal(PolicyLoadCode.POLICY_SCHEMA_ERROR)
      expect(e.file).to.equal('unit.yaml')
      expect(e.rule).to.equal(where.rule)
      expect(e.field).to.equal(where.field)
      expect(e.message).to.contain('unit.yaml')
    })
  }

  const parseErrors: Array<[string, string]> = [
    ['broken YAML', 'version: 1\nname: [unclosed\n'],
    ['duplicate key', 'version: 1\nname: a\nname: b\n'],
    ['alias', 'version: 1\nname: &n t\nrules: *n\n'],
    ['unquoted star pattern (an alias in YAML)', 'version: 1\nname: t\nrings:\n  */read: 3\n']
  ]
  for (const [name, text] of parseErrors) {
    it(`parse error: ${name}`, () => { expect(loadError(text).code).to.equal(PolicyLoadCode.POLICY_PARSE_ERROR) })
  }

  it('refuses a non-mapping document and an oversized one', () => {
    expect(loadError('- a\n- b\n').code).to.equal(PolicyLoadCode.POLICY_SCHEMA_ERROR)
    expect(loadError('#'.repeat(300 * 1024)).code).to.equal(PolicyLoadCode.POLICY_PARSE_ERROR)
  })

  it('accepts every operator', () => {
    const d = parsePolicyDocument(rule(`{ ability: [x/read, "y/*"], resource: tm:a/b, callerOrg: [self, partner, "${PARTNER}"], ring: { min: 1, max: 2 }, trust: { min: 10 }, args: { a: { eq: 1 }, b.c: { lte: 1, gte: 0, lt: 2, gt: -1 }, d: { in: [x, 1, true, null] }, e: { maxLength: 5 } } }`), 'ok.yaml')
    expect(d.rules[0].match.args?.['b.c']).to.deep.equal({ lte: 1, gte: 0, lt: 2, gt: -1 })
  })
})
