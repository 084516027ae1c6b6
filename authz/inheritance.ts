/**
 * Inheritance never loosens (org -> unit -> agent). Evaluation is already a conjunction of levels; on
 * top of that a child that *tries* to loosen is refused at load, with the offending rule and file
 * named, so an operator learns at once rather than wondering why an allow never takes effect:
 * - a default looser than an ancestor's (deny < require_approval < allow in looseness; a child
 *   without a default abstains and leaves the decision to its ancestors);
 * - a ring entry that, layered over an ancestor's table, lets a less privileged ring do what the
 *   ancestor reserves for a more privileged one, or maps an ability it leaves unmapped (denied);
 * - an allow (or require_approval) rule that overlaps an ancestor rule that is stricter;
 * - an allow (or require_approval) rule no ancestor rule of the same or looser effect covers, where
 *   that ancestor's default is stricter (it would allow what the ancestor denies by default);
 * - a rule redefining an ancestor rule id with a looser effect or fewer or looser conditions.
 */
import { overlapWitnesses, splitSegments } from './ability.js'
import { restrictiveness } from './effects.js'
import { PolicyLoadCode, PolicyLoadError } from './errors.js'
import { levelDefault, type PolicyLevel, type PolicyRule } from './policy-document.js'
import { lookupRingTable } from './rings.js'
import { matchesOverlap, uncoveredDimension } from './rule-relations.js'

function loosens (child: PolicyLevel, message: string, rule?: string, field?: string): PolicyLoadError {
  return new PolicyLoadError(PolicyLoadCode.POLICY_LOOSENS_PARENT, message, { file: child.file, ...(rule != null ? { rule } : {}), ...(field != null ? { field } : {}) })
}

/** The any-segment marker of witness abilities, printed readably in messages. */
function show (ability: string): string {
  return splitSegments(ability).map((s) => (s === '\u0000' ? '<any>' : s)).join('/')
}

/** A witness with its any-segment markers made a valid (and unlikely) literal, for table lookups. */
function concrete (ability: string): string {
  return ability.replaceAll('\u0000', '..any..')
}

function checkDefault (child: PolicyLevel, ancestors: readonly PolicyLevel[]): void {
  const mine = levelDefault(child.document)
  if (mine === 'abstain') return
  for (const a of ancestors) {
    const theirs = levelDefault(a.document)
    if (theirs !== 'abstain' && restrictiveness(mine) < restrictiveness(theirs)) {
      throw loosens(child, `default '${mine}' is looser than '${theirs}' of parent ${a.file}`, undefined, 'default')
    }
  }
}

function checkRings (child: PolicyLevel, ancestors: readonly PolicyLevel[]): void {
  const parents = ancestors.filter((a) => Object.keys(a.document.rings).length > 0)
  if (parents.length === 0) return
  for (const [pattern] of Object.entries(child.document.rings)) {
    const witnesses = new Set<string>(overlapWitnesses(pattern, pattern))
    for (const p of parents) for (const q of Object.keys(p.document.rings)) for (const w of overlapWitnesses(pattern, q)) witnesses.add(w)
    for (const w of witnesses) {
      for (const p of parents) {
        // the child's entries layered over the parent's: what the child asks for at w
        const mine = lookupRingTable({ ...p.document.rings, ...child.document.rings }, concrete(w))
        if (mine == null || mine.pattern !== pattern) continue
        const theirs = lookupRingTable(p.document.rings, concrete(w))
        if (theirs == null) {
          throw loosens(child, `ring entry '${pattern}: ${mine.ring}' maps ${show(w)}, which parent ${p.file} leaves unmapped (denied)`, undefined, `rings.${pattern}`)
        }
        if (mine.ring > theirs.ring) {
          throw loosens(child, `ring entry '${pattern}: ${mine.ring}' lets ring ${mine.ring} do ${show(w)}, but parent ${p.file} requires ring ${theirs.ring} ('${theirs.pattern}')`, undefined, `rings.${pattern}`)
        }
      }
    }
  }
}

function checkRedefinition (child: PolicyLevel, rule: PolicyRule, ancestors: readonly PolicyLevel[]): void {
  for (const a of ancestors) {
    const parent = a.document.rules.find((r) => r.id === rule.id)
    if (parent == null) continue
    if (restrictiveness(rule.effect) < restrictiveness(parent.effect)) {
      throw loosens(child, `redefines rule '${rule.id}' of ${a.file} with the looser effect '${rule.effect}' (was '${parent.effect}')`, rule.id, 'effect')
    }
    // a restriction may only grow; a permission may only shrink
    const dim = rule.effect === 'deny' ? uncoveredDimension(rule.match, parent.match) : uncoveredDimension(parent.match, rule.match)
    if (dim != null) {
      throw loosens(child, `redefines rule '${rule.id}' of ${a.file} but drops or loosens its '${dim}' condition`, rule.id, `match.${dim}`)
    }
  }
}

function checkRule (child: PolicyLevel, rule: PolicyRule, ancestors: readonly PolicyLevel[]): void {
  checkRedefinition(child, rule, ancestors)
  if (rule.effect === 'deny') return
  const mine = restrictiveness(rule.effect)
  for (const a of ancestors) {
    for (const s of a.document.rules) {
      if (restrictiveness(s.effect) > mine && matchesOverlap(rule.match, s.match)) {
        throw loosens(child, `${rule.effect} rule '${rule.id}' overlaps ${s.effect} rule '${s.id}' of parent ${a.file}`, rule.id)
      }
    }
    const theirs = levelDefault(a.document)
    if (theirs !== 'abstain' && restrictiveness(theirs) > mine) {
      const covered = a.document.rules.some((s) => restrictiveness(s.effect) <= mine && uncoveredDimension(s.match, rule.match) == null)
      if (!covered) {
        throw loosens(child, `${rule.effect} rule '${rule.id}' reaches requests that parent ${a.file} answers with its default '${theirs}' (no parent rule with effect ${rule.effect} or looser covers it)`, rule.id)
      }
    }
  }
}

/** Throws PolicyLoadError(POLICY_LOOSENS_PARENT) when `child` would loosen any of its ancestors. */
export function checkNoLoosening (child: PolicyLevel, ancestors: readonly PolicyLevel[]): void {
  if (ancestors.length === 0) return
  checkDefault(child, ancestors)
  checkRings(child, ancestors)
  for (const rule of child.document.rules) checkRule(child, rule, ancestors)
}
