/**
 * Capabilities: a resource URI, an ability, and caveats. Resources match by prefix on whole `/`
 * segments (`tm:<org>/records` covers `tm:<org>/records/42`, not `tm:<org>/records42`). Abilities are
 * grant patterns of the one ability grammar (identity/ability.ts): `*` only as a whole trailing segment (`records/*` covers
 * `records/read` and `records/a/b`) and a lone `*` covers every ability. Without `*` an ability covers
 * only itself. Resources are restricted to a conservative character set with no empty, `.` or `..`
 * segments, so lexical prefix matching cannot be fooled by path tricks or percent-encoding.
 */
import { grantCovers, grantPatternError, MAX_ABILITY_LENGTH } from '../ability.js'
import { parseDidKey } from '../did-key.js'
import { fail, ok, type Result } from '../result.js'
import { caveatsWidening, type Caveats } from './caveats.js'
import { UcanErrorCode } from './errors.js'

/** `{ <resource URI>: { <ability>: [caveat objects] } }` as carried in a token's `cap`. */
export type Capabilities = Readonly<Record<string, Readonly<Record<string, Caveats>>>>

export interface Capability {
  readonly resource: string
  readonly ability: string
  readonly caveats: Caveats
}

export const MAX_RESOURCE_LENGTH = 512
export { MAX_ABILITY_LENGTH }
const RESOURCE_PATTERN = /^[a-z][a-z0-9+.-]*:[A-Za-z0-9:._~@!$&'()*+,;=/-]+$/
export const TM_SCHEME = 'tm:'

export function checkResource (resource: string): Result<string> {
  if (resource.length === 0 || resource.length > MAX_RESOURCE_LENGTH) return fail(UcanErrorCode.INVALID_CAPABILITY, `resource must be 1..${MAX_RESOURCE_LENGTH} characters`)
  if (!RESOURCE_PATTERN.test(resource)) return fail(UcanErrorCode.INVALID_CAPABILITY, `resource ${JSON.stringify(resource.slice(0, 80))} is not an accepted URI`)
  let rest = resource.slice(resource.indexOf(':') + 1)
  if (rest.startsWith('//')) rest = rest.slice(2) // hierarchical URI with an authority
  const path = rest.split('/')
  for (let i = 1; i < path.length; i++) {
    if (path[i] === '' || path[i] === '.' || path[i] === '..') return fail(UcanErrorCode.INVALID_CAPABILITY, `resource ${JSON.stringify(resource.slice(0, 80))} has an empty, "." or ".." segment`)
  }
  if (path[0] === '') return fail(UcanErrorCode.INVALID_CAPABILITY, `resource ${JSON.stringify(resource.slice(0, 80))} has no authority`)
  return ok(resource)
}

/** A capability's ability must be a grant pattern of the ability grammar. */
export function checkAbility (ability: string): Result<string> {
  const why = grantPatternError(ability)
  return why === undefined ? ok(ability) : fail(UcanErrorCode.INVALID_CAPABILITY, why)
}

/** True when `child` names the same resource as `parent` or one below it on whole segments. */
export function resourceWithin (child: string, parent: string): boolean {
  if (child === parent) return true
  if (!child.startsWith(parent)) return false
  return parent.endsWith('/') || child.charCodeAt(parent.length) === 0x2f
}

/** True when `parent` covers `child` (see module comment). */
export function abilityWithin (child: string, parent: string): boolean {
  return grantCovers(parent, child)
}

/** Why `child` is wider than `parent`, or undefined when it is within. */
export function capabilityWidening (child: Capability, parent: Capability): string | undefined {
  if (!resourceWithin(child.resource, parent.resource)) return `resource ${child.resource} is not within ${parent.resource}`
  if (!abilityWithin(child.ability, parent.ability)) return `ability ${child.ability} is not within ${parent.ability}`
  const why = caveatsWidening(child.caveats, parent.caveats)
  return why === undefined ? undefined : `${child.ability} on ${child.resource}: ${why}`
}

export function capabilityWithin (child: Capability, parent: Capability): boolean {
  return capabilityWidening(child, parent) === undefined
}

/** Flatten a `cap` object into a list. */
export function listCapabilities (cap: Capabilities): Capability[] {
  const out: Capability[] = []
  for (const [resource, abilities] of Object.entries(cap)) {
    for (const [ability, caveats] of Object.entries(abilities)) out.push({ resource, ability, caveats })
  }
  return out
}

/** Owner of a `tm:<org-did>/...` resource: the org DID, when it is a strict did:key. */
export function orgOfResource (resource: string): string | undefined {
  if (!resource.startsWith(TM_SCHEME)) return undefined
  const rest = resource.slice(TM_SCHEME.length)
  const slash = rest.indexOf('/')
  const did = slash === -1 ? rest : rest.slice(0, slash)
  return parseDidKey(did).ok ? did : undefined
}

/** Render `{resource, ability}` briefly for messages. */
export function describeCapability (c: Capability): string {
  return `${c.ability} on ${c.resource}`
}
