import { expect } from 'chai'
import { abilityMatches, isAbility, isAbilityPattern } from '../../../node/api/ability-match.js'

describe('ability matching', () => {
  const table: Array<[string, string, boolean]> = [
    ['records/read', 'records/read', true],
    ['records/read', 'records/write', false],
    ['records/*', 'records/read', true],
    ['records/*', 'records/read/deep', true],
    ['records/*', 'records', false],
    ['records/*', 'recordsx/read', false],
    ['records', 'records/read', false],
    ['*', 'anything/at/all', true],
    ['rec*', 'records/read', false],
    ['records/*/read', 'records/x/read', false],
    ['records/read', 'records/*', false],
    ['', 'records/read', false],
    ['records//read', 'records//read', false]
  ]
  for (const [pattern, ability, expected] of table) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(ability)}`, () => {
      expect(abilityMatches(pattern, ability)).to.equal(expected)
    })
  }

  it('validates abilities and patterns', () => {
    expect(isAbility('records/read')).to.equal(true)
    expect(isAbility('records/*')).to.equal(false)
    expect(isAbility(42)).to.equal(false)
    expect(isAbility('a'.repeat(300))).to.equal(false)
    expect(isAbilityPattern('records/*')).to.equal(true)
    expect(isAbilityPattern('*')).to.equal(true)
    expect(isAbilityPattern('*/read')).to.equal(false)
  })
})
