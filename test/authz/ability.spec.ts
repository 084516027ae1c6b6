import { expect } from 'chai'
import { abilityMatches, abilityPatternError, overlapWitnesses, patternCovers, patternsOverlap, resourceHasPrefix } from '../../authz/ability.js'

describe('policy/ability', () => {
  const matches: Array<[string, string, boolean]> = [
    ['records/read', 'records/read', true],
    ['records/read', 'records/write', false],
    ['records/*', 'records/read', true],
    ['records/*', 'records/a/b', true],
    ['records/*', 'records', false],
    ['records/*', 'recordsx/read', false],
    ['*/read', 'records/read', true],
    ['*/read', 'a/b/read', true],
    ['*/read', 'read', false],
    ['*/read', 'records/reader', false],
    ['*', 'anything', true],
    ['*', 'a/b', true],
    ['*/admin/*', 'x/admin/y', true],
    ['*/admin/*', 'admin/y', false],
    ['*/*', 'a', false],
    ['*/*', 'a/b', true]
  ]
  for (const [p, a, want] of matches) {
    it(`${p} ${want ? 'matches' : 'does not match'} ${a}`, () => { expect(abilityMatches(p, a)).to.equal(want) })
  }

  const badPatterns = ['', 'rec*', 'a/*/b', 'a//b', 'a/ b', '**', 'a/**']
  for (const p of badPatterns) it(`refuses pattern ${JSON.stringify(p)}`, () => { expect(abilityPatternError(p)).to.be.a('string') })

  it('decides overlap and coverage on whole segments', () => {
    expect(patternsOverlap('*/read', 'payments/*')).to.equal(true)
    expect(overlapWitnesses('*/read', 'payments/*')).to.include('payments/read')
    expect(patternsOverlap('records/*', 'payments/*')).to.equal(false)
    expect(patternsOverlap('records/read', '*/write')).to.equal(false)
    expect(patternCovers('records/*', 'records/read')).to.equal(true)
    expect(patternCovers('records/*', 'records/*')).to.equal(true)
    expect(patternCovers('records/read', 'records/*')).to.equal(false)
    expect(patternCovers('*', '*/read')).to.equal(true)
    expect(patternCovers('*/read', '*')).to.equal(false)
  })

  it('matches resource prefixes on whole segments only', () => {
    expect(resourceHasPrefix('tm:org/records', 'tm:org/records/42')).to.equal(true)
    expect(resourceHasPrefix('tm:org/records', 'tm:org/records')).to.equal(true)
    expect(resourceHasPrefix('tm:org/rec', 'tm:org/records/42')).to.equal(false)
  })
})
