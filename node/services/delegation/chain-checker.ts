/**
 * The node's use of the pure UCAN validator: it supplies the revocation view (a revocation counts
 * only when its issuer is at or above the revoked link, or the resource's org), the replay view, the
 * principal check (every delegator and the invoker hold a valid AgentCredential from an org this node
 * trusts), the maximum delegation lifetime (on by default) and the warm cache, which it invalidates
 * when a revocation arrives.
 */
import { createChainCache, orgOfResource, validateInvocation, listCapabilities, type ChainCache, type PrincipalRole, type ValidatedChain } from '../../../identity/ucan/index.js'
import { fail, type Failure, type Result } from '../../../identity/result.js'
import { checkNotRetired } from '../../../identity/successor-record.js'
import { decodeLink } from './decoded-links.js'
import type { PrincipalBook } from './principal-book.js'
import type { ReplayGuard } from './replay-guard.js'
import type { RevocationBook } from './revocation-book.js'

export interface CheckInput {
  invocation: string
  proofs: Record<string, string>
}

export interface ChainCheckerDeps {
  principals: PrincipalBook
  replay: ReplayGuard
  revocations: RevocationBook
  maxDepth?: number
  /** Longest lifetime of a delegation (setting `maxDelegationTtlSeconds`); longer is `TTL_TOO_LONG`. */
  maxTtlSeconds?: number
  /** When an org key was retired by a successor record (seconds): its later tokens are KEY_RETIRED. */
  retiredAt?: (did: string) => number | undefined
  /** The keys that succeeded an org key (successor records): they may revoke what it issued. */
  successorsOf?: (did: string) => string[]
}

/** Default maximum delegation lifetime: a year and a day (agent credentials and their roots fit). */
export const DEFAULT_MAX_DELEGATION_TTL_SECONDS = 366 * 24 * 3600

/** Only so many proofs are even decoded before the validator's own caps apply. */
const MAX_PROOFS_DECODED = 64
const MAX_REVOKER_FACTS = 4096

export class ChainChecker {
  readonly #d: ChainCheckerDeps
  readonly cache: ChainCache = createChainCache()
  /**
   * Issuer, proofs and resource orgs of each proof, by its exact JWT (a pure function of the text):
   * every task decoded its whole chain twice here (B12 profile, ~0.7 ms of a task under load).
   */
  readonly #revokerFacts = new Map<string, { issuer: string, proofs: readonly string[], orgs: string[] }>()

  constructor (deps: ChainCheckerDeps) {
    this.#d = deps
    deps.revocations.onRevoked((cid) => { this.cache.invalidate(cid) })
  }

  /** Issuers allowed to revoke each proof: itself and everything above it, plus the resource orgs. */
  #authorisedRevokers (input: CheckInput): Map<string, Set<string>> {
    const decoded = new Map<string, { issuer: string, proofs: readonly string[], orgs: string[] }>()
    const entries = Object.entries(input.proofs)
    if (entries.length > MAX_PROOFS_DECODED) return new Map()
    for (const [cid, jwt] of entries) {
      let link = this.#revokerFacts.get(jwt)
      if (link == null) {
        const d = decodeLink(jwt)
        if (!d.ok) continue
        const orgs = listCapabilities(d.value.capabilities).map(c => orgOfResource(c.resource)).filter((o): o is string => o != null)
        link = { issuer: d.value.issuer, proofs: d.value.proofs, orgs }
        if (this.#revokerFacts.size >= MAX_REVOKER_FACTS) this.#revokerFacts.clear()
        this.#revokerFacts.set(jwt, link)
      }
      decoded.set(cid, link)
    }
    const memo = new Map<string, Set<string>>()
    const above = (cid: string, depth: number): Set<string> => {
      const m = memo.get(cid)
      if (m != null) return m
      const s = new Set<string>()
      const d = decoded.get(cid)
      if (d == null || depth > MAX_PROOFS_DECODED) return s
      memo.set(cid, s)
      s.add(d.issuer)
      for (const o of d.orgs) s.add(o)
      for (const p of d.proofs) for (const x of above(p, depth + 1)) s.add(x)
      return s
    }
    for (const cid of decoded.keys()) above(cid, 0)
    // an org that rotated its key revokes what its old key issued with the new one
    const successorsOf = this.#d.successorsOf
    if (successorsOf != null) {
      for (const s of memo.values()) for (const did of [...s]) for (const next of successorsOf(did)) s.add(next)
    }
    return memo
  }

  check (input: CheckInput, opts: { now: number, audience?: string }): Result<ValidatedChain> {
    if (typeof input.invocation !== 'string') return fail('MALFORMED_TOKEN', 'invocation must be a JWT string')
    const retired = this.#retiredLink(input)
    if (retired != null) return retired
    const revokers = this.#authorisedRevokers(input)
    const principals = this.#d.principals
    return validateInvocation(input, {
      now: opts.now,
      audience: opts.audience,
      maxDepth: this.#d.maxDepth,
      maxTtlSeconds: this.#d.maxTtlSeconds ?? DEFAULT_MAX_DELEGATION_TTL_SECONDS,
      revoked: (cid) => this.#d.revocations.isRevoked(cid, revokers.get(cid) ?? new Set()) != null,
      seen: (key) => this.#d.replay.seen(key),
      checkPrincipal: (did: string, _role: PrincipalRole) => principals.check(did),
      cache: this.cache
    })
  }

  /** A proof signed by a retired org key after its retirement (or not saying when): KEY_RETIRED. */
  #retiredLink (input: CheckInput): { ok: false, error: Failure } | undefined {
    const retiredAt = this.#d.retiredAt
    if (retiredAt == null || input.proofs == null || typeof input.proofs !== 'object') return undefined
    for (const [cid, jwt] of Object.entries(input.proofs).slice(0, MAX_PROOFS_DECODED)) {
      const d = decodeLink(jwt)
      if (!d.ok) continue
      const r = checkNotRetired(d.value.issuer, d.value.notBefore, retiredAt, `delegation ${cid}`)
      if (!r.ok) return r
    }
    return undefined
  }

  /** Is `cid` revoked by someone entitled to, in the chain given by `proofs` (it and every proof above it)? */
  isRevokedIn (cid: string, proofs: Record<string, string>): boolean {
    return this.#d.revocations.isRevoked(cid, this.revokersIn(cid, proofs)) != null
  }

  /** Who may revoke `cid` in the chain `proofs`: its issuer, every issuer above it, and the resource orgs. */
  revokersIn (cid: string, proofs: Record<string, string>): Set<string> {
    return this.#authorisedRevokers({ invocation: '', proofs }).get(cid) ?? new Set()
  }

  /** The revocation check alone, repeated just before execution. */
  revokedLink (chain: ValidatedChain, input: CheckInput): string | undefined {
    const revokers = this.#authorisedRevokers(input)
    for (const l of chain.links) if (this.#d.revocations.isRevoked(l.cid, revokers.get(l.cid) ?? new Set()) != null) return l.cid
    return undefined
  }
}
