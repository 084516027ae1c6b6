/**
 * The one ability grammar. An ability is a `/`-separated path of segments (`records/read`); every
 * segment is one or more of `[A-Za-z0-9_.:-]`, the whole ability at most MAX_ABILITY_LENGTH characters.
 * `*` is only ever a whole segment, and comes in two pattern kinds:
 *   - a grant (UCAN capabilities, AgentCredential capabilities, agent task registrations): a concrete
 *     ability, a lone `*` (every ability), or a concrete prefix followed by `/*` (`records/*` covers
 *     `records/read` and `records/a/b`, never `records` nor `recordsx/read`);
 *   - a policy pattern (policy rules, ring tables): `*` as the first and/or last segment, standing for
 *     one or more segments (`*\/read` matches `records/read` and `a/b/read`).
 * Matching is on whole segments; anything malformed matches nothing (fail closed).
 */

/** Characters of one segment. */
export const ABILITY_SEGMENT = /^[A-Za-z0-9_.:-]+$/
/** The same set, for messages. */
export const ABILITY_SEGMENT_CHARS = 'letters, digits, _ . : -'
export const MAX_ABILITY_LENGTH = 128
export const WILDCARD = '*'

export function splitAbility (ability: string): string[] {
  return ability.split('/')
}

/** A concrete ability: 1..MAX_ABILITY_LENGTH characters of valid segments, no `*`. */
export function isAbility (value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ABILITY_LENGTH &&
    splitAbility(value).every((s) => ABILITY_SEGMENT.test(s))
}

/** Why `value` is not a grant pattern, or undefined when it is one. */
export function grantPatternError (value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ABILITY_LENGTH) return `ability must be 1..${MAX_ABILITY_LENGTH} characters`
  if (value === WILDCARD) return undefined
  const segs = splitAbility(value)
  for (let i = 0; i < segs.length; i++) {
    if (segs[i] === WILDCARD && i === segs.length - 1 && i > 0) continue
    if (!ABILITY_SEGMENT.test(segs[i]!)) return `ability ${JSON.stringify(value.slice(0, 80))}: "*" only as a whole trailing segment, segments [A-Za-z0-9_.:-]+`
  }
  return undefined
}

/** A grant pattern: a concrete ability, `*`, or a concrete prefix followed by `/*`. */
export function isGrantPattern (value: unknown): value is string {
  return grantPatternError(value) === undefined
}

/**
 * Does grant `parent` cover `child` (a concrete ability or a narrower grant)? Both are assumed valid;
 * `grantMatches` checks them first.
 */
export function grantCovers (parent: string, child: string): boolean {
  if (parent === WILDCARD || child === parent) return true
  if (!parent.endsWith('/*')) return false
  return child.startsWith(parent.slice(0, -1)) && child !== WILDCARD
}

/** Does grant `pattern` cover the concrete `ability`? Malformed input never matches. */
export function grantMatches (pattern: string, ability: string): boolean {
  return isAbility(ability) && isGrantPattern(pattern) && grantCovers(pattern, ability)
}

/** Why `value` is not a policy pattern, or undefined when it is one. */
export function policyPatternError (value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'ability pattern must be a non-empty string'
  if (value.length > MAX_ABILITY_LENGTH) return `ability pattern longer than ${MAX_ABILITY_LENGTH} characters`
  const segs = splitAbility(value)
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!
    if (s === WILDCARD) {
      if (i !== 0 && i !== segs.length - 1) return `'*' is only allowed as the first or last segment in '${value}'`
      continue
    }
    if (!ABILITY_SEGMENT.test(s)) return `segment '${s}' of '${value}' is not a whole literal segment (${ABILITY_SEGMENT_CHARS}) or '*'`
  }
  return undefined
}

/** A policy pattern taken apart: a leading star, the literal segments, a trailing star. */
export interface PolicyPatternShape {
  readonly lead: boolean
  readonly trail: boolean
  readonly lit: readonly string[]
}

/** The shape of a (valid) policy pattern; a lone `*` is a leading star with no literals. */
export function policyPatternShape (pattern: string): PolicyPatternShape {
  const segs = splitAbility(pattern)
  if (segs.length === 1 && segs[0] === WILDCARD) return { lead: true, trail: false, lit: [] }
  const lead = segs[0] === WILDCARD
  const trail = segs.length > 1 && segs[segs.length - 1] === WILDCARD
  return { lead, trail, lit: segs.slice(lead ? 1 : 0, trail ? segs.length - 1 : segs.length) }
}

/** Does a pattern of this shape match the ability given as segments? Each star takes one or more. */
export function shapeMatchesSegments (sh: PolicyPatternShape, a: readonly string[]): boolean {
  const n = sh.lit.length
  const minLen = n + (sh.lead ? 1 : 0) + (sh.trail ? 1 : 0)
  if (a.length < minLen) return false
  if (!sh.lead && !sh.trail) return a.length === n && sh.lit.every((s, i) => a[i] === s)
  const at = (i: number): boolean => sh.lit.every((s, k) => a[i + k] === s)
  if (!sh.lead) return at(0)
  if (!sh.trail) return at(a.length - n)
  for (let i = 1; i + n <= a.length - 1; i++) if (at(i)) return true
  return false
}

/** Does policy `pattern` (already valid) match the concrete `ability`? */
export function policyPatternMatches (pattern: string, ability: string): boolean {
  return shapeMatchesSegments(policyPatternShape(pattern), splitAbility(ability))
}
