/**
 * Matching a concrete ability (`records/read`) against the patterns a local agent registered for.
 * Whole segments only: `records/*` matches `records/read` and `records/read/x` but neither `records`
 * nor `recordsx/read`; `*` alone matches every ability. Anything malformed matches nothing.
 */

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
export const MAX_ABILITY_LENGTH = 256

/** True for a concrete ability: non-empty `/`-separated segments, no wildcard. */
export function isAbility (value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ABILITY_LENGTH) return false
  return value.split('/').every((s) => SEGMENT.test(s))
}

/** True for a registration pattern: a concrete ability, `*`, or a concrete prefix followed by `/*`. */
export function isAbilityPattern (value: unknown): value is string {
  if (value === '*') return true
  if (typeof value !== 'string') return false
  if (value.endsWith('/*')) return isAbility(value.slice(0, -2))
  return isAbility(value)
}

/** Whether `ability` is covered by `pattern`; malformed input never matches (fail closed). */
export function abilityMatches (pattern: string, ability: string): boolean {
  if (!isAbility(ability) || !isAbilityPattern(pattern)) return false
  if (pattern === '*') return true
  if (pattern.endsWith('/*')) return ability.startsWith(pattern.slice(0, -1))
  return pattern === ability
}
