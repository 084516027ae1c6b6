/**
 * The node's own policy from disk (what `node start` and `policy load` use): every loosening pattern is
 * refused with the offending rule named; a missing or broken policy is refused; and evaluation with no
 * policy is a DENY.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadLocalPolicy, MAX_POLICY_FILE_BYTES, PolicyStartError } from '../../../../node/local-policy.js'
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
    it(`refuses ${name}, naming it`, async () => {
      writeFileSync(`${dir}/unit.yaml`, text)
      const err = await loadLocalPolicy(`${dir}/unit.yaml`).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(PolicyStartError)
      expect((err as PolicyStartError).code).to.equal('POLICY_LOOSENS_PARENT')
      expect((err as PolicyStartError).message).to.contain(named)
    })
  }

  it('accepts a child that only tightens, and its decisions name the rule and level', async () => {
    writeFileSync(`${dir}/unit.yaml`, CHILD('rules:\n  - id: no-big-orders\n    effect: deny\n    match: { ability: orders/create, args: { amount: { gt: 1000 } } }\n'))
    const p = await loadLocalPolicy(`${dir}/unit.yaml`)
    expect(p.policy.levels).to.have.length(2)
    const d = evaluatePolicy(p.policy, { ability: 'orders/create', resource: 'tm:x/orders', callerOrg: 'did:key:z6Mks', callerAgent: 'did:key:z6Mka', selfOrg: 'did:key:z6Mks', ring: 2, args: { amount: 5000 } })
    expect([d.effect, d.code]).to.deep.equal(['deny', 'POLICY_DENY'])
    expect(d.reason).to.contain('no-big-orders').and.contain('level 1')
    expect(d.trace.map(t => [t.level, t.rule, t.effect])).to.deep.equal([[0, 'write-self', 'allow'], [1, 'no-big-orders', 'deny']])
  })

  const refusal = async (file: string): Promise<PolicyStartError> => {
    const err = await loadLocalPolicy(file).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(PolicyStartError)
    return err as PolicyStartError
  }

  it('refuses a missing or broken policy; no policy is a DENY', async () => {
    expect((await refusal(`${dir}/none.yaml`)).message).to.match(/not found/)
    writeFileSync(`${dir}/broken.yaml`, 'version: 1\nname: x\nrules: [\n')
    expect((await refusal(`${dir}/broken.yaml`)).message).to.match(/POLICY_PARSE_ERROR|cannot parse/)
    writeFileSync(`${dir}/unknown.yaml`, 'version: 1\nname: x\nrules: []\nallow_everything: true\n')
    await refusal(`${dir}/unknown.yaml`)
    const d = evaluatePolicy(undefined, { ability: 'records/read', resource: 'tm:x/r', callerOrg: 'a', callerAgent: 'b', selfOrg: 'a', ring: 3 })
    expect([d.effect, d.code]).to.deep.equal(['deny', 'NO_POLICY'])
  })

  it('refuses a FIFO (no writer) promptly, as policy or as a parent, without blocking the event loop', async () => {
    execFileSync('mkfifo', [`${dir}/fifo.yaml`])
    let ticks = 0
    const timer = setInterval(() => { ticks++ }, 5)
    const t0 = Date.now()
    try {
      expect((await refusal(`${dir}/fifo.yaml`)).code).to.equal('NOT_REGULAR_FILE')
      writeFileSync(`${dir}/child.yaml`, 'version: 1\nname: unit\nextends: [fifo.yaml]\nrules: []\n')
      expect((await refusal(`${dir}/child.yaml`)).code).to.equal('NOT_REGULAR_FILE')
      expect((await refusal('/dev/zero')).code).to.equal('NOT_REGULAR_FILE')
      expect((await refusal(dir)).code).to.equal('NOT_REGULAR_FILE')
      expect(Date.now() - t0).to.be.below(2000)
      // the event loop stayed free: the interval keeps ticking (the refusals may take under one tick)
      await new Promise(resolve => setTimeout(resolve, 30))
    } finally {
      clearInterval(timer)
    }
    expect(ticks).to.be.greaterThan(0)
  })

  it('refuses a policy file over the size limit (FILE_TOO_LARGE)', async () => {
    writeFileSync(`${dir}/huge.yaml`, DEFAULT_POLICY_YAML + '#'.repeat(MAX_POLICY_FILE_BYTES))
    expect((await refusal(`${dir}/huge.yaml`)).code).to.equal('FILE_TOO_LARGE')
  })
})
