/**
 * Chain validation (DESIGN.md section 4, rules 1-7): a pure, synchronous function of an invocation JWT,
 * the proofs shipped with it, an injected time and read-only revocation and replay views. Checks, in
 * order: caps and depth before any signature work (chain-graph.ts), signatures, principal alignment,
 * root owner, caveat fields, attenuation, time, principal credentials, revocation, nonce and replay.
 * Several proofs may give several paths: the first valid one wins; if none, `causes` says why each
 * failed. Link indexes count from the root (0); the invocation has index `links.length`.
 *
 * Only the capability being exercised is followed up the chain (as ucanto does): at each link the
 * entry covering the child's capability must be within some entry of its proof. Replay keys are the
 * invocation CID and `nnc:<invoker>:<nonce>` (nonces are scoped by invoker); the caller records them
 * after it accepts.
 */
import { verifyJwtSignature, type DecodedJwt } from '../jwt.js'
import { fail, ok, type Failure, type Result } from '../result.js'
import type { CachedDecision, ChainCache } from './chain-cache.js'
import { capabilityWidening, describeCapability, listCapabilities, orgOfResource, type Capability } from './capability.js'
import { checkCaveatFields, type Caveats } from './caveats.js'
import { checkCaps, enumeratePaths, walkGraph, type GraphLimits } from './chain-graph.js'
import { shortDid, UcanErrorCode } from './errors.js'
import type { Delegation } from './token.js'

export type PrincipalRole = 'delegator' | 'invoker'

export interface ValidateInput {
  /** The invocation JWT, signed by the invoker. */
  readonly invocation: string
  /** Every proof JWT the invocation depends on, keyed by CID. */
  readonly proofs: Readonly<Record<string, string>>
}

export interface ValidateOptions {
  /** Milliseconds since the epoch, from the injected clock. */
  now: number
  skewSeconds?: number
  /** Most delegations along the path used (root included, invocation excluded). Default 8. */
  maxDepth?: number
  maxProofs?: number
  maxTotalBytes?: number
  requireExp?: boolean
  /** Longest lifetime (exp - nbf, or exp - now without nbf) of a delegation. */
  maxTtlSeconds?: number
  /** Longest lifetime of the invocation. Default 300. */
  maxInvocationTtlSeconds?: number
  /** When set, the invocation's `aud` must equal it (the executing agent or node). */
  audience?: string
  revoked: (cid: string) => boolean
  /** Read-only replay view; called with each of `replayKeys`. */
  seen: (key: string) => boolean
  /** Org DID owning a resource; default parses `tm:<did>/...`. */
  rootIssuerFor?: (resource: string) => string | undefined
  /** Require e.g. a valid AgentCredential of every delegator (except the root org) and the invoker. */
  checkPrincipal?: (did: string, role: PrincipalRole) => Result<unknown>
  cache?: ChainCache
  /** Signature check; replaceable for tests that count calls. Default verifyJwtSignature. */
  verifySignature?: (jwt: DecodedJwt, did: string) => Result<true>
  allowEd25519Alias?: boolean
  maxPaths?: number
}

export interface ChainLink {
  readonly index: number
  readonly cid: string
  readonly issuer: string
  readonly audience: string
  readonly notBefore: number | undefined
  readonly expiration: number | null
  /** The capability entry of this link that the path used. */
  readonly capability: Capability
}

export interface ValidatedChain {
  readonly invocationCid: string
  readonly invoker: string
  /** The invocation's `aud`. */
  readonly audience: string
  readonly nonce: string
  /** What the invocation exercises: its resource, ability and caveat objects (the narrowest). */
  readonly capability: Capability
  /** Delegations used, root -> leaf. */
  readonly links: readonly ChainLink[]
  /** Every CID this decision depends on (links and invocation), for cache invalidation. */
  readonly dependsOn: ReadonlySet<string>
  /** Keys to record in the replay store after accepting. */
  readonly replayKeys: readonly string[]
  /** Earliest `exp` (seconds) along the chain. */
  readonly expiresAt: number | null
}

export const DEFAULT_LIMITS = {
  skewSeconds: 60,
  maxDepth: 8,
  maxProofs: 64,
  maxTotalBytes: 256 * 1024,
  maxInvocationTtlSeconds: 300,
  maxPaths: 16
} as const

function label (i: number, all: readonly Delegation[]): string {
  return i === all.length - 1 ? `invocation (${shortDid(all[i].issuer)})` : `link ${i} (${shortDid(all[i].issuer)})`
}

/** The invocation's single capability. */
function invokedCapability (inv: Delegation): Result<Capability> {
  const caps = listCapabilities(inv.capabilities)
  if (caps.length !== 1) return fail(UcanErrorCode.INVALID_INVOCATION, `an invocation must exercise exactly one capability, it names ${caps.length}`)
  return ok(caps[0])
}

/** Follow the exercised capability from the leaf up to the root, backtracking over matching entries. */
function attenuate (all: readonly Delegation[], needed: Capability, i: number, used: Capability[], rootIssuerFor: (r: string) => string | undefined): Failure | undefined {
  if (i < 0) return undefined
  const link = all[i]
  const entries = listCapabilities(link.capabilities)
  let closest: string | undefined
  let firstFailure: Failure | undefined
  for (const e of entries) {
    const why = capabilityWidening(needed, e)
    if (why !== undefined) {
      if (closest === undefined || (e.resource === needed.resource && e.ability === needed.ability)) closest = why
      continue
    }
    if (i === 0 && rootIssuerFor(e.resource) !== link.issuer) {
      firstFailure ??= { code: UcanErrorCode.ROOT_NOT_OWNER, message: `root link 0 (${shortDid(link.issuer)}) is not the owner of ${e.resource}`, link: 0 }
      continue
    }
    used[i] = e
    const up = attenuate(all, e, i - 1, used, rootIssuerFor)
    if (up === undefined) return undefined
    firstFailure ??= up
  }
  if (firstFailure !== undefined) return firstFailure
  const grants = entries.slice(0, 4).map(describeCapability).join(', ') + (entries.length > 4 ? ', ...' : '')
  return {
    code: UcanErrorCode.ESCALATION,
    message: `${label(i + 1, all)} grants ${describeCapability(needed)} but its proof (link ${i}, ${shortDid(link.issuer)}) grants only ${grants}: ${closest ?? 'no match'}`,
    link: i + 1
  }
}

interface Resolved {
  now: number
  skew: number
  requireExp: boolean
  maxTtl: number | undefined
  maxInvTtl: number
}

/** Time rules: each token valid now (within skew), each child's [nbf, exp] inside its proof's. */
function checkTime (all: readonly Delegation[], r: Resolved): Failure | undefined {
  const last = all.length - 1
  for (let i = 0; i <= last; i++) {
    const t = all[i]
    const who = label(i, all)
    if (t.expiration === null) {
      if (r.requireExp) return { code: UcanErrorCode.MISSING_EXP, message: `${who} has no exp`, link: i }
    } else if (r.now > t.expiration + r.skew) {
      return { code: UcanErrorCode.EXPIRED, message: `${who} expired at ${new Date(t.expiration * 1000).toISOString()}`, link: i }
    }
    if (t.notBefore !== undefined && r.now < t.notBefore - r.skew) {
      return { code: UcanErrorCode.NOT_YET_VALID, message: `${who} is not valid before ${new Date(t.notBefore * 1000).toISOString()}`, link: i }
    }
    if (t.expiration !== null) {
      const lifetime = t.expiration - (t.notBefore ?? r.now)
      if (i === last && lifetime > r.maxInvTtl) {
        return { code: UcanErrorCode.INVOCATION_TTL_TOO_LONG, message: `invocation lives ${lifetime} s, limit ${r.maxInvTtl} s`, link: i }
      }
      if (i < last && r.maxTtl !== undefined && lifetime > r.maxTtl) {
        return { code: UcanErrorCode.TTL_TOO_LONG, message: `${who} lives ${lifetime} s, limit ${r.maxTtl} s`, link: i }
      }
    }
    if (i > 0) {
      const p = all[i - 1]
      if (p.expiration !== null && (t.expiration === null || t.expiration > p.expiration)) {
        return { code: UcanErrorCode.TIME_WIDENED, message: `${who} expires at ${String(t.expiration)} after its proof (link ${i - 1}, exp ${p.expiration})`, link: i }
      }
      if (p.notBefore !== undefined && (t.notBefore === undefined || t.notBefore < p.notBefore)) {
        return { code: UcanErrorCode.TIME_WIDENED, message: `${who} starts at ${String(t.notBefore ?? 'the beginning of time')} before its proof (link ${i - 1}, nbf ${p.notBefore})`, link: i }
      }
    }
  }
  return undefined
}

function checkAudience (inv: Delegation, index: number, options: ValidateOptions): Failure | undefined {
  if (options.audience === undefined || inv.audience === options.audience) return undefined
  return { code: UcanErrorCode.PRINCIPAL_MISALIGNED, message: `invocation is addressed to ${shortDid(inv.audience)}, not ${shortDid(options.audience)}`, link: index }
}

/** Checks done on every call, even when the structure came from the cache. */
function checkVolatile (all: readonly Delegation[], r: Resolved, options: ValidateOptions): Failure | undefined {
  const aud = checkAudience(all[all.length - 1], all.length - 1, options)
  if (aud !== undefined) return aud
  const time = checkTime(all, r)
  if (time !== undefined) return time
  const last = all.length - 1
  if (options.checkPrincipal !== undefined) {
    for (let i = 1; i <= last; i++) {
      const role: PrincipalRole = i === last ? 'invoker' : 'delegator'
      const c = options.checkPrincipal(all[i].issuer, role)
      if (!c.ok) return { ...c.error, message: `${label(i, all)} as ${role}: ${c.error.message}`, link: i }
    }
  }
  for (let i = 0; i <= last; i++) {
    if (options.revoked(all[i].cid)) return { code: UcanErrorCode.REVOKED, message: `${label(i, all)} ${all[i].cid} is revoked`, link: i }
  }
  return undefined
}

function structural (all: readonly Delegation[], graphVerified: Set<string>, options: ValidateOptions, used: Capability[]): Failure | undefined {
  const verify = options.verifySignature ?? verifyJwtSignature
  for (let i = 0; i < all.length; i++) {
    const t = all[i]
    if (graphVerified.has(t.cid)) continue
    const v = verify(t.decoded, t.issuer)
    if (!v.ok) return { code: v.error.code, message: `${label(i, all)} ${t.cid}: ${v.error.message}`, link: i }
    graphVerified.add(t.cid)
    options.cache?.putLink(t)
  }
  for (let i = 0; i + 1 < all.length; i++) {
    if (all[i].audience !== all[i + 1].issuer) {
      return {
        code: UcanErrorCode.PRINCIPAL_MISALIGNED,
        message: `${label(i + 1, all)} is issued by ${shortDid(all[i + 1].issuer)} but its proof (link ${i}) was delegated to ${shortDid(all[i].audience)}`,
        link: i + 1
      }
    }
  }
  const inv = all[all.length - 1]
  const aud = checkAudience(inv, all.length - 1, options)
  if (aud !== undefined) return aud
  const needed = invokedCapability(inv)
  if (!needed.ok) return { ...needed.error, link: all.length - 1 }
  const rootIssuerFor = options.rootIssuerFor ?? orgOfResource
  const owner = rootIssuerFor(needed.value.resource)
  if (owner === undefined || owner !== all[0].issuer) {
    return { code: UcanErrorCode.ROOT_NOT_OWNER, message: `root link 0 is issued by ${shortDid(all[0].issuer)}, but ${needed.value.resource} is owned by ${owner === undefined ? 'no known org' : shortDid(owner)}`, link: 0 }
  }
  for (let i = 0; i < all.length; i++) {
    for (const [resource, abilities] of Object.entries(all[i].capabilities)) {
      for (const [ability, caveats] of Object.entries(abilities)) {
        const c = checkCaveatFields(caveats as Caveats, `${label(i, all)} ${ability} on ${resource}`)
        if (!c.ok) return { ...c.error, link: i }
      }
    }
  }
  used[all.length - 1] = needed.value
  return attenuate(all, needed.value, all.length - 2, used, rootIssuerFor)
}

function build (all: readonly Delegation[], used: readonly Capability[]): ValidatedChain {
  const inv = all[all.length - 1]
  const links: ChainLink[] = all.slice(0, -1).map((t, index) => ({
    index, cid: t.cid, issuer: t.issuer, audience: t.audience, notBefore: t.notBefore, expiration: t.expiration, capability: used[index]
  }))
  let expiresAt: number | null = null
  for (const t of all) if (t.expiration !== null && (expiresAt === null || t.expiration < expiresAt)) expiresAt = t.expiration
  const nonce = inv.nonce ?? ''
  return {
    invocationCid: inv.cid,
    invoker: inv.issuer,
    audience: inv.audience,
    nonce,
    capability: used[all.length - 1],
    links,
    dependsOn: new Set(all.map(t => t.cid)),
    replayKeys: [inv.cid, `nnc:${inv.issuer}:${nonce}`],
    expiresAt
  }
}

function finish (chain: ValidatedChain, options: ValidateOptions): Result<ValidatedChain> {
  const last = chain.links.length
  if (chain.nonce === '') return fail(UcanErrorCode.MISSING_NONCE, 'invocation has no nnc (nonce)', { link: last })
  for (const key of chain.replayKeys) {
    if (options.seen(key)) return fail(UcanErrorCode.REPLAYED, `invocation ${chain.invocationCid} was seen before (${key.startsWith('nnc:') ? 'nonce' : 'CID'})`, { link: last })
  }
  return ok(chain)
}

/** Validate an invocation and its delegation chain. Never throws for bad input. */
export function validateInvocation (input: ValidateInput, options: ValidateOptions): Result<ValidatedChain> {
  const limits: GraphLimits = {
    maxDepth: options.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    maxProofs: options.maxProofs ?? DEFAULT_LIMITS.maxProofs,
    maxTotalBytes: options.maxTotalBytes ?? DEFAULT_LIMITS.maxTotalBytes,
    maxPaths: options.maxPaths ?? DEFAULT_LIMITS.maxPaths,
    allowEd25519Alias: options.allowEd25519Alias === true
  }
  const r: Resolved = {
    now: Math.floor(options.now / 1000),
    skew: options.skewSeconds ?? DEFAULT_LIMITS.skewSeconds,
    requireExp: options.requireExp ?? true,
    maxTtl: options.maxTtlSeconds,
    maxInvTtl: options.maxInvocationTtlSeconds ?? DEFAULT_LIMITS.maxInvocationTtlSeconds
  }
  const caps = checkCaps(input?.invocation, input?.proofs, limits)
  if (!caps.ok) return caps
  const proofs = caps.value
  const cached = warm(input.invocation, proofs, r, options)
  if (cached !== undefined) return cached
  const graph = walkGraph(input.invocation, proofs, limits, options.cache)
  if (!graph.ok) return graph
  const paths = enumeratePaths(graph.value, limits)
  if (!paths.ok) return paths
  const causes: Failure[] = []
  for (const path of paths.value) {
    const all = [...path, graph.value.invocation]
    const used: Capability[] = []
    const why = structural(all, graph.value.verified, options, used) ?? checkVolatile(all, r, options)
    if (why === undefined) {
      const chain = build(all, used)
      if (options.cache !== undefined) {
        options.cache.putDecision(chain.invocationCid, { path: path.map(t => t.cid), used, dependsOn: chain.dependsOn })
      }
      return finish(chain, options)
    }
    causes.push(why)
  }
  if (causes.length === 1) return { ok: false, error: causes[0] }
  const same = causes.every(c => c.code === causes[0].code)
  return fail(same ? causes[0].code : UcanErrorCode.NO_VALID_PATH, `none of ${causes.length} paths is valid: ${causes.map(c => c.message).join('; ')}`, { causes })
}

/** Cache hit: the structure was verified before for these exact bytes; re-check everything volatile. */
function warm (invocation: string, proofs: Readonly<Record<string, string>>, r: Resolved, options: ValidateOptions): Result<ValidatedChain> | undefined {
  const cache = options.cache
  if (cache === undefined) return undefined
  // the decision is keyed by CID; a link entry bound to the exact JWT text proves these are the same bytes
  const inv = cache.getLinkByJwt(invocation)
  if (inv === undefined) return undefined
  const d: CachedDecision | undefined = cache.getDecision(inv.cid)
  if (d === undefined) return undefined
  const all: Delegation[] = []
  for (const cid of d.path) {
    if (!Object.hasOwn(proofs, cid)) return undefined
    const l = cache.getLink(cid, proofs[cid])
    if (l === undefined) return undefined
    all.push(l)
  }
  all.push(inv)
  const why = checkVolatile(all, r, options)
  if (why !== undefined) return { ok: false, error: why }
  return finish(build(all, d.used), options)
}

/**
 * Caveats each hop of a validated chain attaches to the exercised capability, root -> invocation, so the
 * executing node can enforce them (minTrust, maxRing, policy digests). The invocation's caveats are the
 * narrowest; satisfying one of its objects satisfies some object at every link above.
 */
export function caveatsFor (chain: ValidatedChain): Array<{ link: number, cid: string, issuer: string, caveats: Caveats }> {
  const out = chain.links.map(l => ({ link: l.index, cid: l.cid, issuer: l.issuer, caveats: l.capability.caveats }))
  out.push({ link: chain.links.length, cid: chain.invocationCid, issuer: chain.invoker, caveats: chain.capability.caveats })
  return out
}

/** Issuers at or above `cid` in a validated chain (who may revoke it); undefined if not in it. */
export function issuersUpTo (chain: ValidatedChain, cid: string): string[] | undefined {
  const i = chain.links.findIndex(l => l.cid === cid)
  if (i === -1) return cid === chain.invocationCid ? [...chain.links.map(l => l.issuer), chain.invoker] : undefined
  return chain.links.slice(0, i + 1).map(l => l.issuer)
}

