/**
 * Ability patterns and resource prefixes, matched on whole `/`-separated segments. In a pattern `*`
 * is only ever a whole segment, first and/or last, and stands for one or more segments
 * (`*\/read` matches `records/read` and `a/b/read`; `payments/*` matches `payments/send`, never
 * `payments` itself nor `paymentsx/send`). Also decides overlap and coverage between patterns, which
 * the inheritance checks need.
 */

const SEGMENT = /^[A-Za-z0-9_.:-]+$/
/** A segment no literal can equal (contains a character refused in literals). */
const FRESH = '\u0000'

export function splitSegments (s: string): string[] {
  return s.split('/')
}

/** A concrete ability: non-empty segments of safe characters, no `*`. */
export function isValidAbility (ability: unknown): ability is string {
  return typeof ability === 'string' && ability.length > 0 && ability.length <= 256 && splitSegments(ability).every((s) => SEGMENT.test(s))
}

/** Why a pattern is invalid, or undefined when it is valid. */
export function abilityPatternError (pattern: unknown): string | undefined {
  if (typeof pattern !== 'string' || pattern.length === 0) return 'ability pattern must be a non-empty string'
  if (pattern.length > 256) return 'ability pattern longer than 256 characters'
  const segs = splitSegments(pattern)
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]
    if (s === '*') {
      if (i !== 0 && i !== segs.length - 1) return `'*' is only allowed as the first or last segment in '${pattern}'`
      continue
    }
    if (!SEGMENT.test(s)) return `segment '${s}' of '${pattern}' is not a whole literal segment (letters, digits, _ . : -) or '*'`
  }
  return undefined
}

interface Shape { lead: boolean, trail: boolean, lit: string[] }

function shape (pattern: string): Shape {
  const segs = splitSegments(pattern)
  if (segs.length === 1 && segs[0] === '*') return { lead: true, trail: false, lit: [] }
  const lead = segs[0] === '*'
  const trail = segs.length > 1 && segs[segs.length - 1] === '*'
  return { lead, trail, lit: segs.slice(lead ? 1 : 0, trail ? segs.length - 1 : segs.length) }
}

function matchSegments (sh: Shape, a: string[]): boolean {
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

/** Does `pattern` (already valid) match the concrete `ability`? */
export function abilityMatches (pattern: string, ability: string): boolean {
  return matchSegments(shape(pattern), splitSegments(ability))
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
