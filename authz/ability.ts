/**
 * Policy maths over the policy patterns of the one ability grammar (identity/ability.ts): `*` only as
 * a whole segment, first and/or last, standing for one or more segments (`*\/read` matches
 * `records/read` and `a/b/read`; `payments/*` matches `payments/send`, never `payments` itself nor
 * `paymentsx/send`). Here: overlap and coverage between patterns, which the inheritance checks need,
 * and resource prefixes matched on whole segments.
 */
import {
  isAbility, policyPatternError, policyPatternMatches, policyPatternShape as shape, shapeMatchesSegments as matchSegments,
  splitAbility
} from '../identity/ability.js'

/** A segment no literal can equal (contains a character refused in literals). */
const FRESH = '\u0000'

export function splitSegments (s: string): string[] {
  return splitAbility(s)
}

/** A concrete ability: non-empty segments of safe characters, no `*`. */
export function isValidAbility (ability: unknown): ability is string {
  return isAbility(ability)
}

/** Why a pattern is invalid, or undefined when it is valid. */
export function abilityPatternError (pattern: unknown): string | undefined {
  return policyPatternError(pattern)
}

/** Does `pattern` (already valid) match the concrete `ability`? */
export function abilityMatches (pattern: string, ability: string): boolean {
  return policyPatternMatches(pattern, ability)
}

/** Specificity for "most specific wins": an exact pattern beats any glob, then more literal segments. */
export function patternSpecificity (pattern: string): number {
  const sh = shape(pattern)
  return (sh.lead || sh.trail ? 0 : 1000) + sh.lit.length
}

/**
 * Abilities that match both patterns, one per way of laying the two literal parts side by side with
 * fresh segments for the stars. Empty when the patterns cannot both match one ability.
 */
export function overlapWitnesses (p: string, q: string): string[] {
  const a = shape(p)
  const b = shape(q)
  const out = new Set<string>()
  const lo = -(b.lit.length + 1)
  const hi = a.lit.length + 1
  for (let d = lo; d <= hi; d++) {
    const start = Math.min(0, d)
    const end = Math.max(a.lit.length, d + b.lit.length)
    const seq: string[] = []
    let consistent = true
    for (let i = start; i < end; i++) {
      const x = i >= 0 && i < a.lit.length ? a.lit[i] : undefined
      const y = i - d >= 0 && i - d < b.lit.length ? b.lit[i - d] : undefined
      if (x != null && y != null && x !== y) { consistent = false; break }
      seq.push(x ?? y ?? FRESH)
    }
    if (!consistent) continue
    for (const pre of [[], [FRESH]]) {
      for (const post of [[], [FRESH]]) {
        const cand = [...pre, ...seq, ...post]
        if (cand.length > 0 && matchSegments(a, cand) && matchSegments(b, cand)) out.add(cand.join('/'))
      }
    }
  }
  return [...out]
}

export function patternsOverlap (p: string, q: string): boolean {
  return overlapWitnesses(p, q).length > 0
}

/** Does `outer` match every ability `inner` matches? */
export function patternCovers (outer: string, inner: string): boolean {
  const sh = shape(inner)
  const o = shape(outer)
  for (const pre of sh.lead ? [[FRESH], [FRESH, FRESH]] : [[]]) {
    for (const post of sh.trail ? [[FRESH], [FRESH, FRESH]] : [[]]) {
      const cand = [...pre, ...sh.lit, ...post]
      if (!matchSegments(o, cand)) return false
    }
  }
  return true
}

/** Why a resource prefix is invalid, or undefined. Prefixes are URIs compared on whole segments. */
export function resourcePrefixError (prefix: unknown): string | undefined {
  if (typeof prefix !== 'string' || prefix.length === 0) return 'resource prefix must be a non-empty string'
  if (prefix.length > 1024) return 'resource prefix longer than 1024 characters'
  if (prefix.includes('*')) return `resource prefix '${prefix}' may not contain '*' (prefixes match whole segments)`
  if (splitSegments(prefix).some((s) => s.length === 0)) return `resource prefix '${prefix}' has an empty segment`
  return undefined
}

/** Is `prefix` a whole-segment prefix of (or equal to) `resource`? */
export function resourceHasPrefix (prefix: string, resource: string): boolean {
  const p = splitSegments(prefix)
  const r = splitSegments(resource)
  return p.length <= r.length && p.every((s, i) => r[i] === s)
}

export function resourcePrefixesOverlap (a: string, b: string): boolean {
  return resourceHasPrefix(a, b) || resourceHasPrefix(b, a)
}
