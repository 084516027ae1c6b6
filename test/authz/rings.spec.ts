import { expect } from 'chai'
import { checkRing, checkRingGrant, effectiveRing, effectiveRingDetail, lookupRingTable, requiredRing } from '../../authz/rings.js'
import { validatePolicyDocument } from '../../authz/policy-document.js'
import { PolicyCode } from '../../authz/errors.js'

const doc = validatePolicyDocument({
  version: 1,
  name: 'r',
  rings: { '*/read': 3, 'records/write': 2, 'payments/*': 1, '*/delete': 1, 'payments/history/*': 2, 'reports/read': 2 }
}, 'r.yaml')

describe('policy/rings', () => {
  const required: Array<[string, number | undefined]> = [
    ['records/read', 3],
    ['records/write', 2],
    ['payments/send', 1],
    ['payments/read', 1], // tie between */read and payments/*: the more privileged ring
    ['payments/history/list', 2], // more literal segments win
    ['reports/read', 2], // exact beats glob
    ['records/delete', 1],
    ['records/archive', undefined],
    ['records', undefined],
    ['not an ability', undefined]
  ]
  for (const [ability, ring] of required) {
    it(`requires ${String(ring)} for ${ability}`, () => { expect(requiredRing(doc, ability)).to.equal(ring) })
  }

  it('names the winning entry', () => {
    expect(lookupRingTable(doc.rings, 'payments/send')).to.deep.equal({ ring: 1, pattern: 'payments/*' })
  })

  const effective: Array<[string, Parameters<typeof effectiveRing>[0], number]> = [
    ['least privileged of the chain', { chainRings: [1, 2, 1], caveatMaxRings: [], orgMaxRing: 1 }, 2],
    ['maxRing caveat caps', { chainRings: [1, 1], caveatMaxRings: [3], orgMaxRing: 1 }, 3],
    ['org max-ring caps', { chainRings: [1], caveatMaxRings: [], orgMaxRing: 2 }, 2],
    ['foreign default is ring 3', { chainRings: [1], caveatMaxRings: [] }, 3],
    ['empty chain is ring 3', { chainRings: [], caveatMaxRings: [], orgMaxRing: 1 }, 3],
    ['ring 0 in a chain counts as 3', { chainRings: [0], caveatMaxRings: [], orgMaxRing: 1 }, 3],
    ['garbage counts as 3', { chainRings: [1.5], caveatMaxRings: [], orgMaxRing: 1 }, 3]
  ]
  for (const [name, input, want] of effective) it(`effective ring: ${name}`, () => { expect(effectiveRing(input)).to.equal(want) })

  it('confused deputy: chain rings [1, 3] cannot do a ring-1 ability', () => {
    const eff = effectiveRingDetail({ chainRings: [1, 3], caveatMaxRings: [], orgMaxRing: 1 })
    const r = checkRing(requiredRing(doc, 'payments/send') as number, eff, 'payments/send')
    expect(r.ok).to.equal(false)
    if (!r.ok) {
      expect(r.error.code).to.equal(PolicyCode.RING_TOO_LOW)
      expect(r.error.message).to.equal('effective ring 3 (capped by chain agent 1 (ring 3)) but payments/send needs ring 1')
    }
  })

  const checks: Array<[number, number, string | undefined]> = [
    [2, 2, undefined], [2, 1, undefined], [2, 3, PolicyCode.RING_TOO_LOW], [1, 2, PolicyCode.RING_TOO_LOW],
    [0, 1, PolicyCode.RING_TOO_LOW], [3, 0, PolicyCode.RING_INVALID], [3, 4, PolicyCode.RING_INVALID], [5, 1, PolicyCode.RING_INVALID]
  ]
  for (const [req, eff, code] of checks) {
    it(`checkRing(required ${req}, effective ${eff}) -> ${code ?? 'ok'}`, () => {
      const r = checkRing(req, eff)
      expect(r.ok ? undefined : r.error.code).to.equal(code)
    })
  }

  it('refuses a grant more privileged than the issuer holds', () => {
    expect(checkRingGrant(2, 2).ok).to.equal(true)
    expect(checkRingGrant(2, 3).ok).to.equal(true)
    const r = checkRingGrant(2, 1, 3)
    expect(r.ok).to.equal(false)
    if (!r.ok) { expect(r.error.code).to.equal(PolicyCode.RING_ESCALATION); expect(r.error.link).to.equal(3) }
  })
})
