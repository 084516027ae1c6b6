import { expect } from 'chai'
import { loadPolicy, tryLoadPolicy } from '../../authz/load-policy.js'
import { PolicyLoadCode, PolicyLoadError } from '../../authz/errors.js'
import { loaderOf, ORG_POLICY } from './fixtures.js'

function child (body: string, parents = '[org.yaml]'): string {
  return `version: 1\nname: unit\nextends: ${parents}\n${body}`
}

function loadErr (docs: Record<string, string>, ref = 'unit.yaml'): PolicyLoadError {
  try {
    loadPolicy(ref, loaderOf(docs))
  } catch (err) {
    expect(err).to.be.instanceOf(PolicyLoadError)
    return err as PolicyLoadError
  }
  throw new Error('expected a PolicyLoadError')
}

describe('policy/load-policy', () => {
  it('loads a chain org -> unit -> agent, parents first, each once', () => {
    const docs = {
      'org.yaml': ORG_POLICY,
      'unit.yaml': child('rules:\n  - { id: unit-deny, effect: deny, match: { ability: records/write, callerOrg: partner } }\n'),
      'agent.yaml': 'version: 1\nname: agent\nextends: [unit.yaml, org.yaml]\nrules:\n  - { id: narrow, effect: allow, match: { ability: records/read, trust: { min: 700 } } }\n'
    }
    const p = loadPolicy('agent.yaml', loaderOf(docs))
    expect(p.levels.map((l) => l.file)).to.deep.equal(['org.yaml', 'unit.yaml', 'agent.yaml'])
  })

  it('accepts a child that only tightens (stricter ring, more conditions, added deny)', () => {
    const docs = {
      'org.yaml': ORG_POLICY,
      'unit.yaml': child(`rings:
  records/write: 1
  "*/read": 3
rules:
  - { id: writes, effect: allow, match: { ability: records/write, ring: { max: 1 }, trust: { min: 800 }, args: { size: { lte: 10 } }, callerOrg: self } }
  - { id: no-bulk, effect: deny, match: { ability: "*", args: { bulk: { eq: true } } } }
  - { id: pay, effect: deny, match: { ability: "payments/*" } }
`)
    }
    expect(loadPolicy('unit.yaml', loaderOf(docs)).levels).to.have.length(2)
  })

  const loosening: Array<[string, string, { rule?: string, field?: string }]> = [
    ['a looser default', 'default: require_approval\n', { field: 'default' }],
    ['a ring entry letting a less privileged ring act', 'rings:\n  "payments/*": 2\n', { field: 'rings.payments/*' }],
    ['a glob ring entry reaching a more privileged parent entry', 'rings:\n  "*/read": 3\n  "payments/read": 3\n', { field: 'rings.payments/read' }],
    ['a ring entry mapping an ability the parent leaves unmapped', 'rings:\n  "admin/*": 1\n', { field: 'rings.admin/*' }],
    ['an allow overlapping a parent deny', 'rules:\n  - { id: pay-reads, effect: allow, match: { ability: "payments/*", ring: { max: 1 } } }\n', { rule: 'pay-reads' }],
    ['an allow overlapping a parent require_approval', 'rules:\n  - { id: pay-now, effect: allow, match: { ability: payments/send } }\n', { rule: 'pay-now' }],
    ['a require_approval overlapping a parent deny', 'rules:\n  - { id: ask, effect: require_approval, match: { ability: payments/read, callerOrg: partner } }\n', { rule: 'ask' }],
    ['an allow of what the parent denies by default', 'rules:\n  - { id: deletes, effect: allow, match: { ability: records/delete } }\n', { rule: 'deletes' }],
    ['a redefinition dropping a trust condition', 'rules:\n  - { id: reads, effect: allow, match: { ability: "*/read" } }\n', { rule: 'reads', field: 'match.trust' }],
    ['a redefinition lowering a trust minimum', 'rules:\n  - { id: reads, effect: allow, match: { ability: "*/read", trust: { min: 100 } } }\n', { rule: 'reads', field: 'match.trust' }],
    ['a redefinition dropping an args condition', 'rules:\n  - { id: writes, effect: allow, match: { ability: records/write, ring: { max: 2 }, trust: { min: 500 } } }\n', { rule: 'writes', field: 'match.args' }],
    ['a redefinition widening an args bound', 'rules:\n  - { id: writes, effect: allow, match: { ability: records/write, ring: { max: 2 }, trust: { min: 500 }, args: { size: { lte: 5000 } } } }\n', { rule: 'writes', field: 'match.args' }],
    ['a redefinition widening the ring range', 'rules:\n  - { id: writes, effect: allow, match: { ability: records/write, trust: { min: 500 }, args: { size: { lte: 10 } } } }\n', { rule: 'writes', field: 'match.ring' }],
    ['a redefinition of a deny as allow', 'rules:\n  - { id: no-payment-reads, effect: allow, match: { ability: payments/read, callerOrg: partner } }\n', { rule: 'no-payment-reads', field: 'effect' }],
    ['a redefinition narrowing a deny', 'rules:\n  - { id: no-payment-reads, effect: deny, match: { ability: payments/read, callerOrg: partner, trust: { min: 900 } } }\n', { rule: 'no-payment-reads', field: 'match.trust' }]
  ]
  for (const [name, body, where] of loosening) {
    it(`refuses ${name}`, () => {
      const e = loadErr({ 'org.yaml': ORG_POLICY, 'unit.yaml': child(body) })
      expect(e.code).to.equal(PolicyLoadCode.POLICY_LOOSENS_PARENT)
      expect(e.file).to.equal('unit.yaml')
      expect(e.rule).to.equal(where.rule)
      expect(e.field).to.equal(where.field)
    })
  }

  it('refuses loosening a grandparent through a compliant parent', () => {
    const docs = {
      'org.yaml': ORG_POLICY,
      'unit.yaml': child('rules: []\n'),
      'agent.yaml': 'version: 1\nname: agent\nextends: [unit.yaml]\nrules:\n  - { id: reads, effect: allow, match: { ability: "*/read" } }\n'
    }
    const e = loadErr(docs, 'agent.yaml')
    expect(e.code).to.equal(PolicyLoadCode.POLICY_LOOSENS_PARENT)
    expect(e.message).to.contain('org.yaml')
  })

  it('refuses an extends cycle, naming it', () => {
    const docs = {
      'a.yaml': 'version: 1\nname: a\nextends: [b.yaml]\n',
      'b.yaml': 'version: 1\nname: b\nextends: [c.yaml]\n',
      'c.yaml': 'version: 1\nname: c\nextends: [a.yaml]\n'
    }
    const e = loadErr(docs, 'a.yaml')
    expect(e.code).to.equal(PolicyLoadCode.POLICY_EXTENDS_CYCLE)
    expect(e.message).to.contain('a.yaml -> b.yaml -> c.yaml -> a.yaml')
  })

  it('refuses a self-extending document', () => {
    expect(loadErr({ 'a.yaml': 'version: 1\nname: a\nextends: a.yaml\n' }, 'a.yaml').code).to.equal(PolicyLoadCode.POLICY_EXTENDS_CYCLE)
  })

  it('accepts a diamond (shared grandparent loaded once)', () => {
    const docs = {
      'org.yaml': ORG_POLICY,
      'u1.yaml': 'version: 1\nname: u1\nextends: [org.yaml]\n',
      'u2.yaml': 'version: 1\nname: u2\nextends: [org.yaml]\n',
      'agent.yaml': 'version: 1\nname: agent\nextends: [u1.yaml, u2.yaml]\n'
    }
    expect(loadPolicy('agent.yaml', loaderOf(docs)).levels.map((l) => l.file)).to.deep.equal(['org.yaml', 'u1.yaml', 'u2.yaml', 'agent.yaml'])
  })

  it('reports a missing document or parent as POLICY_NOT_FOUND, and a throwing loader too', () => {
    expect(loadErr({}, 'nope.yaml').code).to.equal(PolicyLoadCode.POLICY_NOT_FOUND)
    const e = loadErr({ 'unit.yaml': child('') })
    expect(e.code).to.equal(PolicyLoadCode.POLICY_NOT_FOUND)
    expect(e.file).to.equal('unit.yaml')
    expect(e.message).to.contain('org.yaml')
    const r = tryLoadPolicy('x', () => { throw new Error('EACCES') })
    expect(r.ok).to.equal(false)
    if (!r.ok) expect(r.error.code).to.equal(PolicyLoadCode.POLICY_NOT_FOUND)
  })

  it('caps the extends depth', () => {
    const docs: Record<string, string> = { 'p0.yaml': 'version: 1\nname: p0\n' }
    for (let i = 1; i <= 12; i++) docs[`p${i}.yaml`] = `version: 1\nname: p${i}\nextends: [p${i - 1}.yaml]\n`
    expect(loadErr(docs, 'p12.yaml').code).to.equal(PolicyLoadCode.POLICY_SCHEMA_ERROR)
  })
})
