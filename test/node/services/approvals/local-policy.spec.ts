/**
 * The node's own policy from disk (what `node start` and `policy load` use): every loosening pattern is
 * refused with the offending rule named; a missing or broken policy is refused; and evaluation with no
 * policy is a DENY.
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadLocalPolicy, PolicyStartError } from '../../../../node/local-policy.js'
import { DEFAULT_POLICY_YAML, evaluatePolicy } from '../../../../authz/index.js'

const CHILD = (body: string): string => `version: 1\nname: unit\nextends: [policy.yaml]\n${body}`

const LOOSENING: Array<[string, string, string]> = [
  ['an allow where the parent denies by default', CHILD('rules:\n  - id: let-partners-delete\n    effect: allow\n    match: { ability: "records/delete", callerOrg: partner, ring: { max: 1 } }\n'), 'let-partners-delete'],
  ['an allow without the trust condition of the parent rule', CHILD('rules:\n  - id: read-any-partner\n    effect: allow\n    match: { ability: "*/read", callerOrg: partner }\n'), 'read-any-partner'],
  ['an allow that overrides a require_approval', CHILD('rules:\n  - id: pay-freely\n    effect: allow\n    match: { ability: "payments/*", callerOrg: self, ring: { max: 1 } }\n'), 'pay-freely'],
  ['a looser default', CHILD('default: require_approval\nrules: []\n'), 'default'],
  ['a ring entry letting a less privileged ring pay', CHILD('rings:\n  "payments/send": 2\nrules: []\n'), 'payments'],
  ['a ring entry mapping an unmapped ability', CHILD('rings:\n  "secrets/dump": 3\nrules: []\n'), 'secrets'],
  ['a redefined parent rule with fewer conditions', CHILD('rules:\n  - id: write-partners\n    effect: allow\n    match: { ability: [records/write], callerOrg: partner, ring: { max: 2 } }\n'), 'write-partners']
]

describe('approvals: the node policy from disk', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync('/tmp/tmpol-')
    writeFileSync(`${dir}/policy.yaml`, DEFAULT_POLICY_YAML)
  })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  for (const [name, text, named] of LOOSENING) {
    it(`refuses ${name}, naming it`, () => {
      writeFileSync(`${dir}/unit.yaml`, text)
      let err: unknown
      try { loadLocalPolicy(`${dir}/unit.yaml`) } catch (e) { err = e }
      expect(err).to.be.instanceOf(PolicyStartError)
      expect((err as PolicyStartError).code).to.equal('POLICY_LOOSENS_PARENT')
      expect((err as PolicyStartError).message).to.contain(named)
    })
  }

  it('accepts a child that only tightens, and its decisions name the rule and level', () => {
    writeFileSync(`${dir}/unit.yaml`, CHILD('rules:\n  - id: no-big-orders\n    effect: deny\n    match: { ability: orders/create, args: { amount: { gt: 1000 } } }\n'))
    const p = loadLocalPolicy(`${dir}/unit.yaml`)
    expect(p.policy.levels).to.have.length(2)
    const d = evaluatePolicy(p.policy, { ability: 'orders/create', resource: 'tm:x/orders', callerOrg: 'did:key:z6Mks', callerAgent: 'did:key:z6Mka', selfOrg: 'did:key:z6Mks', ring: 2, args: { amount: 5000 } })
    expect([d.effect, d.code]).to.deep.equal(['deny', 'POLICY_DENY'])
    expect(d.reason).to.contain('no-big-orders').and.contain('level 1')
    expect(d.trace.map(t => [t.level, t.rule, t.effect])).to.deep.equal([[0, 'write-self', 'allow'], [1, 'no-big-orders', 'deny']])
  })

  it('refuses a missing or broken policy; no policy is a DENY', () => {
    expect(() => loadLocalPolicy(`${dir}/none.yaml`)).to.throw(PolicyStartError, /not found/)
    writeFileSync(`${dir}/broken.yaml`, 'version: 1\nname: x\nrules: [\n')
    expect(() => loadLocalPolicy(`${dir}/broken.yaml`)).to.throw(PolicyStartError, /POLICY_PARSE_ERROR|cannot parse/)
    writeFileSync(`${dir}/unknown.yaml`, 'version: 1\nname: x\nrules: []\nallow_everything: true\n')
    expect(() => loadLocalPolicy(`${dir}/unknown.yaml`)).to.throw(PolicyStartError)
    const d = evaluatePolicy(undefined, { ability: 'records/read', resource: 'tm:x/r', callerOrg: 'a', callerAgent: 'b', selfOrg: 'a', ring: 3 })
    expect([d.effect, d.code]).to.deep.equal(['deny', 'NO_POLICY'])
  })
})
