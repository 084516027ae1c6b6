/**
 * Caveats narrow a capability. A caveat array is a disjunction (any one object may be satisfied), each
 * object a conjunction of conditions. Only known fields are understood; anything else is a DENY at
 * validation (UNKNOWN_CAVEAT). `[{}]` means no restriction; an empty array is invalid.
 *
 * Strictness: object C is at least as strict as object P when C keeps every field of P with an equal
 * or tighter value (maxAmount lowered, minTrust raised, maxRing raised in number, policy equal); C may
 * add fields. An array is within another when every object of it is at least as strict as some
 * object of the other.
 */
import { fail, ok, type Result } from '../result.js'
import { UcanErrorCode } from './errors.js'

export interface CaveatObject {
  /** Largest amount the holder may move; a child may only lower it. */
  readonly maxAmount?: number
  /** Lowest trust score (0..1000) the executing side must see; a child may only raise it. */
  readonly minTrust?: number
  /** Least privileged ring allowed (1..3); a child may only raise the number. */
  readonly maxRing?: number
  /** Digest of a policy every later hop must enforce; a child must keep it unchanged. */
  readonly policy?: string
}

export type Caveats = readonly CaveatObject[]

export const KNOWN_CAVEAT_FIELDS: readonly string[] = ['maxAmount', 'minTrust', 'maxRing', 'policy']
const POLICY_PATTERN = /^[A-Za-z0-9:+/=_.-]{1,128}$/
/** Caps on the shape so a hostile token cannot make attenuation checks quadratic in its size. */
export const MAX_CAVEAT_OBJECTS = 16

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return v != null && typeof v === 'object' && !Array.isArray(v)
}

/** Shape check used by token decoding: an array of 1..16 plain objects (fields are checked later). */
export function checkCaveatShape (value: unknown, where: string): Result<Caveats> {
  if (!Array.isArray(value)) return fail(UcanErrorCode.INVALID_CAPABILITY, `${where}: caveats must be an array`)
  if (value.length === 0) return fail(UcanErrorCode.INVALID_CAPABILITY, `${where}: caveat array is empty (use [{}] for no restriction)`)
  if (value.length > MAX_CAVEAT_OBJECTS) return fail(UcanErrorCode.INVALID_CAPABILITY, `${where}: more than ${MAX_CAVEAT_OBJECTS} caveat objects`)
  for (const c of value) {
    if (!isPlainObject(c)) return fail(UcanErrorCode.INVALID_CAPABILITY, `${where}: caveat is not an object`)
  }
  return ok(value as Caveats)
}

/** Field check used at validation: every field known and well typed. */
export function checkCaveatFields (caveats: Caveats, where: string): Result<true> {
  for (const c of caveats) {
    for (const [k, v] of Object.entries(c)) {
      switch (k) {
        case 'maxAmount':
          if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return fail(UcanErrorCode.INVALID_CAVEAT, `${where}: maxAmount must be a finite number >= 0`)
          break
        case 'minTrust':
          if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1000) return fail(UcanErrorCode.INVALID_CAVEAT, `${where}: minTrust must be a number in 0..1000`)
          break
        case 'maxRing':
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 3) return fail(UcanErrorCode.INVALID_CAVEAT, `${where}: maxRing must be an integer 1..3`)
          break
        case 'policy':
          if (typeof v !== 'string' || !POLICY_PATTERN.test(v)) return fail(UcanErrorCode.INVALID_CAVEAT, `${where}: policy must be a digest string`)
          break
        default:
          return fail(UcanErrorCode.UNKNOWN_CAVEAT, `${where}: unknown caveat field ${JSON.stringify(k.slice(0, 64))}`)
      }
    }
  }
  return ok(true)
}

/** Why `child` is not at least as strict as `parent`, or undefined when it is. */
export function caveatObjectWidening (child: CaveatObject, parent: CaveatObject): string | undefined {
  const c = child as Record<string, unknown>
  for (const [k, pv] of Object.entries(parent)) {
    if (!Object.hasOwn(c, k)) return `drops ${k}`
    const cv = c[k]
    switch (k) {
      case 'maxAmount':
        if (!((cv as number) <= (pv as number))) return `raises maxAmount ${String(pv)} -> ${String(cv)}`
        break
      case 'minTrust':
        if (!((cv as number) >= (pv as number))) return `lowers minTrust ${String(pv)} -> ${String(cv)}`
        break
      case 'maxRing':
        if (!((cv as number) >= (pv as number))) return `lowers maxRing ${String(pv)} -> ${String(cv)} (more privileged)`
        break
      case 'policy':
        if (cv !== pv) return `changes policy ${String(pv)} -> ${String(cv)}`
        break
      default:
        // unknown fields never compare as equal-or-stricter: fail closed
        return `carries unknown caveat ${k}`
    }
  }
  return undefined
}

/** Why `child` caveats are wider than `parent` caveats, or undefined when they are within. */
export function caveatsWidening (child: Caveats, parent: Caveats): string | undefined {
  for (let i = 0; i < child.length; i++) {
    let closest: string | undefined
    let within = false
    for (const p of parent) {
      const why = caveatObjectWidening(child[i], p)
      if (why === undefined) { within = true; break }
      closest ??= why
    }
    if (!within) {
      const which = child.length > 1 ? `caveat object ${i} ${JSON.stringify(child[i])}` : `caveat ${JSON.stringify(child[i])}`
      return parent.length > 1
        ? `${which} is not as strict as any of ${JSON.stringify(parent)}`
        : `${which} ${closest ?? 'widens'} (proof has ${JSON.stringify(parent[0])})`
    }
  }
  return undefined
}

export function caveatsWithin (child: Caveats, parent: Caveats): boolean {
  return caveatsWidening(child, parent) === undefined
}
