/** Tables for resource, ability and caveat matching. */
import { expect } from 'chai'
import { acme } from '../../helpers/principals.js'
import { abilityWithin, checkAbility, checkResource, orgOfResource, resourceWithin } from '../../../identity/ucan/capability.js'
import { caveatsWithin, checkCaveatFields, type Caveats } from '../../../identity/ucan/caveats.js'

const A = `tm:${acme.did}`

describe('ucan/capability', () => {
  it('matches resources on whole segments', () => {
    const table: Array<[string, string, boolean]> = [
      [`${A}/records/42`, `${A}/records`, true],
      [`${A}/records`, `${A}/records`, true],
      [`${A}/records42`, `${A}/records`, false],
      [`${A}/records`, `${A}/records/42`, false],
      [`${A}/records/42`, A, true],
      [`${A}x/records`, A, false]
    ]
    for (const [child, parent, want] of table) expect(resourceWithin(child, parent), `${child} in ${parent}`).to.equal(want)
  })

  it('matches abilities on whole segments with a trailing *', () => {
    const table: Array<[string, string, boolean]> = [
      ['records/read', 'records/read', true],
      ['records/read', 'records/*', true],
      ['records/a/b', 'records/*', true],
      ['records/*', 'records/*', true],
      ['recordsx/read', 'records/*', false],
      ['records', 'records/*', false],
      ['records/read', 'records', false],
      ['*', 'records/*', false],
      ['anything/at/all', '*', true],
      ['records/write', 'records/read', false]
    ]
    for (const [child, parent, want] of table) expect(abilityWithin(child, parent), `${child} in ${parent}`).to.equal(want)
  })

  it('refuses malformed abilities and resources', () => {
    for (const a of ['', '*/read', 'records/*/x', 'records//read', 'rec*', 'records/ read']) expect(checkAbility(a).ok, a).to.equal(false)
    for (const a of ['*', 'records/*', 'records/read', 'orders/create']) expect(checkAbility(a).ok, a).to.equal(true)
    for (const r of ['records', `${A}/../x`, `${A}//x`, `${A}/a%2e%2e`, `${A}/x?y`, `${A}/./x`, 'tm:']) expect(checkResource(r).ok, r).to.equal(false)
    for (const r of [A, `${A}/records/42`, 'https://example.org/x']) expect(checkResource(r).ok, r).to.equal(true)
    expect(orgOfResource(`${A}/records`)).to.equal(acme.did)
    expect(orgOfResource('tm:did:key:zNope/records')).to.equal(undefined)
  })
})

describe('ucan/caveats', () => {
  const table: Array<[Caveats, Caveats, boolean, string]> = [
    [[{}], [{}], true, 'no restriction'],
    [[{ maxAmount: 5 }], [{}], true, 'adds a field'],
    [[{}], [{ maxAmount: 5 }], false, 'drops to [{}]'],
    [[{ maxAmount: 5 }], [{ maxAmount: 10 }], true, 'lowers maxAmount'],
    [[{ maxAmount: 11 }], [{ maxAmount: 10 }], false, 'raises maxAmount'],
    [[{ minTrust: 600 }], [{ minTrust: 500 }], true, 'raises minTrust'],
    [[{ minTrust: 400 }], [{ minTrust: 500 }], false, 'lowers minTrust'],
    [[{ maxRing: 3 }], [{ maxRing: 2 }], true, 'less privileged ring'],
    [[{ maxRing: 1 }], [{ maxRing: 2 }], false, 'more privileged ring'],
    [[{ policy: 'sha256:aa' }], [{ policy: 'sha256:aa' }], true, 'same policy'],
    [[{ policy: 'sha256:bb' }], [{ policy: 'sha256:aa' }], false, 'other policy'],
    [[{ maxAmount: 1 }], [{ maxAmount: 1 }, { maxRing: 3 }], true, 'picks one of a disjunction'],
    [[{ maxAmount: 1 }, { maxRing: 3 }], [{ maxAmount: 1 }], false, 'adds an object'],
    [[{ maxAmount: 1, maxRing: 3 }], [{ maxAmount: 2, maxRing: 2 }], true, 'tightens a conjunction']
  ]
  for (const [child, parent, want, name] of table) {
    it(`${want ? 'within' : 'widens'}: ${name}`, () => expect(caveatsWithin(child, parent)).to.equal(want))
  }

  it('knows only maxAmount, minTrust, maxRing, policy', () => {
    const code = (c: Caveats): string => { const r = checkCaveatFields(c, 'x'); return r.ok ? 'OK' : r.error.code }
    expect(code([{ maxAmount: 1, minTrust: 0, maxRing: 3, policy: 'sha256:ab' }])).to.equal('OK')
    expect(code([{ colour: 'red' } as object])).to.equal('UNKNOWN_CAVEAT')
    expect(code([{ minTrust: 1001 }])).to.equal('INVALID_CAVEAT')
    expect(code([{ maxRing: 2.5 }])).to.equal('INVALID_CAVEAT')
    expect(code([{ maxAmount: -1 }])).to.equal('INVALID_CAVEAT')
    expect(code([{ policy: '' }])).to.equal('INVALID_CAVEAT')
  })
})
