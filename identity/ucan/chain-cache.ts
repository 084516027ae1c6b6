/**
 * Warm cache for chain validation. It remembers (1) links whose CID, schema and signature were
 * verified, keyed by CID and bound to the exact JWT text, and (2) structural decisions for an
 * invocation (path, alignment, root owner, attenuation), keyed by invocation CID. Time, principal
 * credentials, revocation and replay are NOT cached: the validator re-checks them on every call.
 * `invalidate(cid)` drops the link and every decision that depended on it (revocation).
 *
 * One cache must be used with one validator configuration (rootIssuerFor, maxDepth, ...): decisions
 * are not keyed by options. Bounded: least recently used entries are evicted.
 */
import type { Capability } from './capability.js'
import type { Delegation } from './token.js'

/** What a structural decision remembers; see ValidatedChain. */
export interface CachedDecision {
  /** Root -> leaf CIDs of the delegations used. */
  readonly path: readonly string[]
  /** Capability entry used at each link, root -> leaf. */
  readonly used: readonly Capability[]
  readonly dependsOn: ReadonlySet<string>
}

export interface ChainCache {
  /** A verified link whose JWT text equals `jwt`, or undefined. */
  getLink: (cid: string, jwt: string) => Delegation | undefined
  /** A verified link by its exact JWT text (lets a warm hit skip hashing the invocation). */
  getLinkByJwt: (jwt: string) => Delegation | undefined
  putLink: (link: Delegation) => void
  getDecision: (invocationCid: string) => CachedDecision | undefined
  putDecision: (invocationCid: string, decision: CachedDecision) => void
  /** Forget a token and everything derived from it. */
  invalidate: (cid: string) => void
  clear: () => void
  readonly size: { links: number, decisions: number }
}

export interface ChainCacheOptions {
  maxLinks?: number
  maxDecisions?: number
}

function touch<K, V> (map: Map<K, V>, key: K): V | undefined {
  const v = map.get(key)
  if (v !== undefined) { map.delete(key); map.set(key, v) }
  return v
}

export function createChainCache (options: ChainCacheOptions = {}): ChainCache {
  const maxLinks = options.maxLinks ?? 10_000
  const maxDecisions = options.maxDecisions ?? 10_000
  const links = new Map<string, Delegation>()
  const byJwt = new Map<string, string>()
  const decisions = new Map<string, CachedDecision>()
  /** cid -> invocation CIDs of decisions that depend on it */
  const dependents = new Map<string, Set<string>>()

  function dropDecision (key: string): void {
    const d = decisions.get(key)
    if (d === undefined) return
    decisions.delete(key)
    for (const cid of d.dependsOn) {
      const set = dependents.get(cid)
      if (set === undefined) continue
      set.delete(key)
      if (set.size === 0) dependents.delete(cid)
    }
  }

  function dropLink (cid: string): void {
    const l = links.get(cid)
    if (l === undefined) return
    links.delete(cid)
    byJwt.delete(l.jwt)
  }

  return {
    getLink (cid, jwt) {
      const l = touch(links, cid)
      return l !== undefined && l.jwt === jwt ? l : undefined
    },
    getLinkByJwt (jwt) {
      const cid = byJwt.get(jwt)
      return cid === undefined ? undefined : touch(links, cid)
    },
    putLink (link) {
      dropLink(link.cid)
      links.set(link.cid, link)
      byJwt.set(link.jwt, link.cid)
      while (links.size > maxLinks) dropLink(links.keys().next().value as string)
    },
    getDecision (invocationCid) {
      return touch(decisions, invocationCid)
    },
    putDecision (invocationCid, decision) {
      dropDecision(invocationCid)
      decisions.set(invocationCid, decision)
      for (const cid of decision.dependsOn) {
        let set = dependents.get(cid)
        if (set === undefined) { set = new Set(); dependents.set(cid, set) }
        set.add(invocationCid)
      }
      while (decisions.size > maxDecisions) dropDecision(decisions.keys().next().value as string)
    },
    invalidate (cid) {
      dropLink(cid)
      for (const key of [...(dependents.get(cid) ?? [])]) dropDecision(key)
      dropDecision(cid)
    },
    clear () {
      links.clear()
      byJwt.clear()
      decisions.clear()
      dependents.clear()
    },
    get size () {
      return { links: links.size, decisions: decisions.size }
    }
  }
}
