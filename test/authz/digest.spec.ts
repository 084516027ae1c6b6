import { expect } from 'chai'
import { canonicalJson } from '../../authz/canonical-json.js'
import { policyDigest } from '../../authz/digest.js'
import { evaluateCarriedPolicies } from '../../authz/carried-policies.js'
import { evaluatePolicy } from '../../authz/evaluate.js'
import { loadPolicy, loadPolicyText } from '../../authz/load-policy.js'
import type { Decision } from '../../authz/decision.js'
import { loaderOf, ORG_POLICY, request } from './fixtures.js'

const YAML_A = `
version: 1
name: d
rings:
  "*/read": 3
  records/write: 2
rules:
  - id: reads
    effect: allow
    match: { ability: "*/read", trust: { min: 300 } }
`
// same document: other key order, flow style, JSON, comments, a list for a single ability
const YAML_B = `# comment
name: d
rules: [{ match: { trust: { min: 300 }, ability: ["*/read"] }, effect: allow, id: reads }]
rings: { records/write: 2, "*/read": 3 }
version: 1
`
const JSON_C = JSON.stringify({ version: 1, name: 'd', rings: { 'records/write': 2, '*/read': 3 }, rules: [{ id: 'reads', effect: 'allow', match: { ability: '*/read', trust: { min: 300 } } }] }, null, 2)

describe('policy/digest', () => {
  it('encodes canonical JSON with sorted keys and no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 1.5, y: -0 } })).to.equal('{"a":[true,null,"x"],"b":1,"d":{"y":0,"z":1.5}}')
    expect(() => canonicalJson({ a: NaN })).to.throw()
  })

  it('is stable across YAML formatting and JSON', () => {
    const a = policyDigest(loadPolicyText(YAML_A, 'a.yaml'))
    expect(a).to.match(/^sha256:[0-9a-f]{64}$/)
    expect(policyDigest(loadPolicyText(YAML_B, 'other/path/b.yaml'))).to.equal(a)
    expect(policyDigest(loadPolicyText(JSON_C, 'c.json'))).to.equal(a)
  })

  const changes: Array<[string, string]> = [
    ['a trust minimum', YAML_A.replace('min: 300', 'min: 301')],
    ['an effect', YAML_A.replace('effect: allow', 'effect: require_approval')],
    ['a ring', YAML_A.replace('records/write: 2', 'records/write: 1')],
    ['a rule id', YAML_A.replace('id: reads', 'id: reads2')],
    ['the default', YAML_A + 'default: deny\n'],
    ['an added condition', YAML_A.replace('trust: { min: 300 }', 'trust: { min: 300 }, ring: { max: 3 }')]
  ]
  const base = policyDigest(loadPolicyText(YAML_A, 'a.yaml'))
  for (const [name, text] of changes) {
    it(`changes when ${name} changes`, () => { expect(policyDigest(loadPolicyText(text, 'a.yaml'))).to.not.equal(base) })
  }

  it('covers the parents: changing a parent changes the child digest', () => {
    const child = 'version: 1\nname: unit\nextends: [org.yaml]\n'
    const d1 = policyDigest(loadPolicy('unit.yaml', loaderOf({ 'org.yaml': ORG_POLICY, 'unit.yaml': child })))
    const d2 = policyDigest(loadPolicy('unit.yaml', loaderOf({ 'org.yaml': ORG_POLICY.replace('min: 300', 'min: 350'), 'unit.yaml': child })))
    expect(d1).to.not.equal(d2)
  })

  describe('carried policies', () => {
    const org = loadPolicyText(ORG_POLICY, 'org.yaml')
    const strict = loadPolicyText(ORG_POLICY.replace('min: 300', 'min: 900'), 'strict.yaml')
    const local = evaluatePolicy(org, request())
    const carriedAllow: Decision = evaluatePolicy(org, request())
    const carriedDeny: Decision = evaluatePolicy(strict, request())

    it('allows only when the local and every carried policy allow', () => {
      expect(local.effect).to.equal('allow')
      expect(evaluateCarriedPolicies(local, []).effect).to.equal('allow')
      expect(evaluateCarriedPolicies(local, [{ digest: policyDigest(org), decision: carriedAllow }]).effect).to.equal('allow')
      const d = evaluateCarriedPolicies(local, [{ digest: policyDigest(org), decision: carriedAllow }, { digest: policyDigest(strict), decision: carriedDeny }])
      expect(d.effect).to.equal('deny')
      expect(d.code).to.equal('TRUST_TOO_LOW')
      expect(d.reason).to.contain(policyDigest(strict))
    })

    it('denies POLICY_UNAVAILABLE for an unknown or malformed digest', () => {
      const d = evaluateCarriedPolicies(local, [{ digest: policyDigest(strict), decision: undefined }])
      expect(d.effect).to.equal('deny')
      expect(d.code).to.equal('POLICY_UNAVAILABLE')
      expect(evaluateCarriedPolicies(local, [{ digest: 'md5:abc', decision: carriedAllow }]).code).to.equal('POLICY_UNAVAILABLE')
    })

    it('a local deny stays a deny whatever is carried', () => {
      const localDeny = evaluatePolicy(org, request({ trust: 10 }))
      expect(evaluateCarriedPolicies(localDeny, [{ digest: policyDigest(org), decision: carriedAllow }]).effect).to.equal('deny')
    })
  })
})
