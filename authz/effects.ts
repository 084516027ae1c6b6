/**
 * Ordering of effects. `deny` beats `require_approval` beats `allow`: combining decisions always keeps
 * the most restrictive, and anything that is not a known effect counts as `deny`.
 */
import type { Effect } from './policy-document.js'

const RESTRICTIVENESS: Readonly<Record<Effect, number>> = { allow: 0, require_approval: 1, deny: 2 }

/** 0 for allow, 1 for require_approval, 2 for deny (and for anything unknown). */
export function restrictiveness (effect: unknown): number {
  return typeof effect === 'string' && Object.prototype.hasOwnProperty.call(RESTRICTIVENESS, effect) ? RESTRICTIVENESS[effect as Effect] : 2
}

export function isStricterThan (a: unknown, b: unknown): boolean {
  return restrictiveness(a) > restrictiveness(b)
}

/** The most restrictive of the given effects; `deny` for none. */
export function mostRestrictive (effects: readonly Effect[]): Effect {
  if (effects.length === 0) return 'deny'
  return effects.reduce((a, b) => (restrictiveness(b) > restrictiveness(a) ? b : a))
}
