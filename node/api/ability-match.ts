/**
 * Matching a concrete ability (`records/read`) against the patterns a local agent registered for: the
 * grant patterns of the one ability grammar (identity/ability.ts). Whole segments only: `records/*`
 * matches `records/read` and `records/read/x` but neither `records` nor `recordsx/read`; `*` alone
 * matches every ability. Anything malformed matches nothing.
 */
export { MAX_ABILITY_LENGTH, isAbility, isGrantPattern as isAbilityPattern, grantMatches as abilityMatches } from '../../identity/ability.js'
