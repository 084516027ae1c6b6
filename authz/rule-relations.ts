/**
 * Set relations between rule matches, used by the loosening checks: could two rules match the same
 * request (overlap), and does one rule match every request the other matches (covers)? Both err on the
 * side that makes a loosening child fail to load: overlap says yes when unsure, covers says no.
 */
import { patternCovers, patternsOverlap, resourceHasPrefix, resourcePrefixesOverlap } from './ability.js'
import type { Dimension } from './match.js'
import type { ArgCondition, RuleMatch, Scalar } from './policy-document.js'

interface Interval { lo: number, loOpen: boolean, hi: number, hiOpen: boolean }

function numericInterval (c: ArgCondition): Interval {
  const iv: Interval = { lo: -Infinity, loOpen: false, hi: Infinity, hiOpen: false }
  const raiseLo = (v: number, open: boolean): void => { if (v > iv.lo || (v === iv.lo && open)) { iv.lo = v; iv.loOpen = open } }
  const lowerHi = (v: number, open: boolean): void => { if (v < iv.hi || (v === iv.hi && open)) { iv.hi = v; iv.hiOpen = open } }
  if (c.gte != null) raiseLo(c.gte, false)
  if (c.gt != null) raiseLo(c.gt, true)
  if (c.lte != null) lowerHi(c.lte, false)
  if (c.lt != null) lowerHi(c.lt, true)
  if (typeof c.eq === 'number') { raiseLo(c.eq, false); lowerHi(c.eq, false) }
  return iv
}

function intervalEmpty (iv: Interval): boolean {
  return iv.lo > iv.hi || (iv.lo === iv.hi && (iv.loOpen || iv.hiOpen))
}

function hasNumericOps (c: ArgCondition): boolean {
  return c.lte != null || c.lt != null || c.gte != null || c.gt != null
}

/** Can some value satisfy both conditions? Only numeric ranges and equalities are compared exactly. */
function argsMayOverlap (a: ArgCondition, b: ArgCondition): boolean {
  if (a.eq !== undefined && b.eq !== undefined && a.eq !== b.eq) return false
  if (a.eq !== undefined && b.in !== undefined && !b.in.includes(a.eq)) return false
  if (b.eq !== undefined && a.in !== undefined && !a.in.includes(b.eq)) return false
  const ia = numericInterval(a)
  const ib = numericInterval(b)
  if ((hasNumericOps(a) || typeof a.eq === 'number') && (hasNumericOps(b) || typeof b.eq === 'number')) {
    const both: Interval = {
      lo: Math.max(ia.lo, ib.lo),
      loOpen: ia.lo === ib.lo ? ia.loOpen || ib.loOpen : (ia.lo > ib.lo ? ia.loOpen : ib.loOpen),
      hi: Math.min(ia.hi, ib.hi),
      hiOpen: ia.hi === ib.hi ? ia.hiOpen || ib.hiOpen : (ia.hi < ib.hi ? ia.hiOpen : ib.hiOpen)
    }
    if (intervalEmpty(both)) return false
  }
  return true
}

function callerOrgsOverlap (a: readonly string[], b: readonly string[]): boolean {
  for (const x of a) {
    for (const y of b) {
      if (x === y) return true
      // a DID may be our own org or a partner: unknown at load, so assume it overlaps both
      if ((x === 'self' || x === 'partner') && y.startsWith('did:')) return true
      if ((y === 'self' || y === 'partner') && x.startsWith('did:')) return true
    }
  }
  return false
}

function rangeOf (r: RuleMatch['ring']): [number, number] {
  return [r?.min ?? 0, r?.max ?? 3]
}

/** Could one request match both rules? */
export function matchesOverlap (a: RuleMatch, b: RuleMatch): boolean {
  if (a.ability != null && b.ability != null && !a.ability.some((p) => b.ability?.some((q) => patternsOverlap(p, q)))) return false
  if (a.resource != null && b.resource != null && !a.resource.some((p) => b.resource?.some((q) => resourcePrefixesOverlap(p, q)))) return false
  if (a.callerOrg != null && b.callerOrg != null && !callerOrgsOverlap(a.callerOrg, b.callerOrg)) return false
  const [alo, ahi] = rangeOf(a.ring)
  const [blo, bhi] = rangeOf(b.ring)
  if (Math.max(alo, blo) > Math.min(ahi, bhi)) return false
  if (a.args != null && b.args != null) {
    for (const [path, ca] of Object.entries(a.args)) {
      const cb = b.args[path]
      if (cb != null && !argsMayOverlap(ca, cb)) return false
    }
  }
  return true
}

function scalarIn (v: Scalar, list: readonly Scalar[] | undefined): boolean {
  return list != null && list.includes(v)
}

/** Does the inner condition imply every operator of the outer one? */
function argImplies (inner: ArgCondition | undefined, outer: ArgCondition): boolean {
  if (inner == null) return false
  if (outer.eq !== undefined && inner.eq !== outer.eq) return false
  if (outer.in !== undefined) {
    const ok = (inner.eq !== undefined && scalarIn(inner.eq, outer.in)) || (inner.in != null && inner.in.every((v) => scalarIn(v, outer.in)))
    if (!ok) return false
  }
  if (outer.maxLength !== undefined && !(inner.maxLength !== undefined && inner.maxLength <= outer.maxLength)) return false
  if (hasNumericOps(outer)) {
    if (!(hasNumericOps(inner) || typeof inner.eq === 'number')) return false
    const io = numericInterval(outer)
    const ii = numericInterval(inner)
    const loOk = ii.lo > io.lo || (ii.lo === io.lo && (ii.loOpen || !io.loOpen))
    const hiOk = ii.hi < io.hi || (ii.hi === io.hi && (ii.hiOpen || !io.hiOpen))
    if (!loOk || !hiOk) return false
  }
  return true
}

/**
 * Does `outer` match every request `inner` matches? Returns the first dimension where it does not
 * (for the error message), or undefined when it covers.
 */
export function uncoveredDimension (outer: RuleMatch, inner: RuleMatch): Dimension | undefined {
  if (outer.ability != null) {
    const inn = inner.ability ?? ['*']
    if (!inn.every((p) => outer.ability?.some((q) => patternCovers(q, p)))) return 'ability'
  }
  if (outer.resource != null) {
    if (inner.resource == null || !inner.resource.every((p) => outer.resource?.some((q) => resourceHasPrefix(q, p)))) return 'resource'
  }
  if (outer.callerOrg != null) {
    const o = outer.callerOrg
    const anyOrg = o.includes('self') && o.includes('partner')
    if (!anyOrg && (inner.callerOrg == null || !inner.callerOrg.every((e) => o.includes(e)))) return 'callerOrg'
  }
  const [olo, ohi] = rangeOf(outer.ring)
  const [ilo, ihi] = rangeOf(inner.ring)
  if (ilo < olo || ihi > ohi) return 'ring'
  if (outer.trust != null && !(inner.trust != null && inner.trust.min >= outer.trust.min)) return 'trust'
  if (outer.args != null) {
    for (const [path, cond] of Object.entries(outer.args)) if (!argImplies(inner.args?.[path], cond)) return 'args'
  }
  return undefined
}
