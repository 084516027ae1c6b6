/**
 * AgentCredentials this node knows, its own agents' and those that arrive with delegations, tasks and
 * partners' agent directories, and the binding of each agent DID to one org (DESIGN.md section 2).
 *
 * A DID is bound to an org only with both signatures: the org's AgentCredential and the agent's
 * acceptance of it (identity/agent-acceptance.ts), or, for this org's own agents, the local registry.
 * Once bound, the binding is persisted and never moves: a later credential from the same org renews
 * it (no new acceptance needed: the agent accepted that org), one from another org is refused with
 * PRINCIPAL_CONFLICT and reported (logged and audited by the caller's `onConflict`). A credential the
 * issuing org revoked, or one past its expiry, no longer vouches for the agent (CREDENTIAL_REVOKED,
 * CREDENTIAL_EXPIRED).
 *
 * Across an org key rotation (successor records, `succession`) the old and the new DID are one org: an
 * agent bound under the old DID is renewed by a credential from the new one (no conflict, no new
 * acceptance), agents are reported under the org's current DID, and a credential the retired key
 * signed after its retirement is refused (KEY_RETIRED), while one it signed before stays valid.
 */
import type { VerifiedAgentCredential } from '../../../identity/credentials.js'
import { VerifiedCredentials } from './verified-credentials.js'
import { cidOfJwt } from '../../../identity/ucan/cid.js'
import { decodeJwt } from '../../../identity/jwt.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { Clock } from '../../../identity/clock.js'
import type { Repository } from '../../store/repository.js'
import type { PrincipalInfo } from '../../../authz/principal.js'
import { checkNotRetired, currentDid, type KeySuccession } from '../../../identity/successor-record.js'

/** What a verified AgentCredential says about an agent (defined in the authorisation core). */
export type { PrincipalInfo } from '../../../authz/principal.js'

/** A refused second claim on a bound agent DID. */
export interface PrincipalConflict { did: string, boundTo: string, claimedBy: string, from?: string }

export interface AddOptions {
  /** The only issuer accepted (a partner's directory lists its own agents only). */
  org?: string
  /** The org whose node sent the credential (for the conflict report). */
  from?: string
  /** The agent's acceptance of this credential (binds a DID not bound yet). */
  acceptance?: string
  /** One of this node's own agents (from the local registry): bound to this org without acceptance. */
  local?: boolean
}

interface Binding { org: string, credential: string, acceptance?: string }

export class PrincipalBook {
  readonly #repo: Repository<string>
  readonly #self: string
  readonly #trustedOrgs: () => string[]
  readonly #revoked: (credentialCid: string, issuer: string) => boolean
  readonly #onConflict: (c: PrincipalConflict) => void
  readonly #succession: KeySuccession | undefined
  readonly #cache = new Map<string, Binding>()
  /** Credentials and acceptances that verified (only their signature checks are saved). */
  readonly #verified: VerifiedCredentials

  constructor (deps: {
    repo: Repository<string>
    clock: Clock
    /** This node's org DID. */
    org: string
    trustedOrgs: () => string[]
    /** True when the issuer revoked this credential (by its CID). */
    isRevoked?: (credentialCid: string, issuer: string) => boolean
    onConflict?: (c: PrincipalConflict) => void
    /** Org key rotations: old and new DID are one org; a retired key's later credentials are KEY_RETIRED. */
    succession?: KeySuccession
  }) {
    this.#repo = deps.repo
    this.#self = deps.org
    this.#trustedOrgs = deps.trustedOrgs
    this.#revoked = deps.isRevoked ?? (() => false)
    this.#onConflict = deps.onConflict ?? (() => {})
    this.#succession = deps.succession
    this.#verified = new VerifiedCredentials(deps.clock)
  }

  /** The DID `org` speaks as now (after its key rotations). */
  #current (org: string): string {
    return currentDid(this.#succession, org)
  }

  /** One org under two DIDs (one succeeded the other by successor records), or the same DID. */
  sameOrg (a: string, b: string): boolean {
    return a === b || this.#current(a) === this.#current(b)
  }

  async load (): Promise<void> {
    for (const [did, stored] of await this.#repo.list()) {
      const b = parseStored(stored)
      // a credential stored before bindings existed (a bare JWT) was bound first-come: only this
      // org's own agents are kept; partners' agents are learned again, with their acceptances
      if (b != null && (b.acceptance != null || b.org === this.#self)) this.#cache.set(did, b)
    }
  }

  #verify (jwt: string): Result<VerifiedAgentCredential> {
    const v = this.#verified.verify(jwt, this.#trustedOrgs())
    if (!v.ok || this.#succession == null) return v
    const live = checkNotRetired(v.value.issuer, v.value.issuedAt, this.#succession.retiredAt, `AgentCredential of ${v.value.subject.id}`)
    return live.ok ? v : live
  }

  /** Signature checks of credentials and acceptances made so far (a warm book makes none per task). */
  get signatureChecks (): number {
    return this.#verified.verifications
  }

  /**
   * Verify a credential and bind or renew its agent; returns the agent it describes. An agent DID
   * not bound yet is bound only with a valid acceptance (or as a local agent of this org); one bound
   * to another org is refused (PRINCIPAL_CONFLICT) and reported.
   */
  async add (jwt: string, options: AddOptions = {}): Promise<Result<PrincipalInfo>> {
    const v = this.#verify(jwt)
    if (!v.ok) return v.error.code === 'EXPIRED' ? fail('CREDENTIAL_EXPIRED', v.error.message) : v
    const org = v.value.issuer
    if (options.org != null && !this.sameOrg(org, options.org)) return fail('WRONG_ISSUER', `AgentCredential issued by ${org}, expected ${options.org}`)
    if (options.local === true && !this.sameOrg(org, this.#self)) return fail('WRONG_ISSUER', `a local agent's AgentCredential must be issued by ${this.#self}`)
    const did = v.value.subject.id
    const bound = this.#cache.get(did)
    if (bound != null && !this.sameOrg(bound.org, org)) {
      this.#onConflict({ did, boundTo: bound.org, claimedBy: org, ...(options.from != null ? { from: options.from } : {}) })
      return fail('PRINCIPAL_CONFLICT', `${did} is bound to ${bound.org}; the claim by ${org}${options.from != null && options.from !== org ? ` (sent by ${options.from})` : ''} is refused`)
    }
    const accepted = options.acceptance != null && this.#verified.acceptance(options.acceptance, jwt, did, org).ok
    if (bound == null && options.local !== true && !accepted) {
      const a = this.#verified.acceptance(options.acceptance, jwt, did, org)
      return fail(a.ok ? 'NOT_ACCEPTED' : a.error.code, `${did} is not bound to ${org}: ${a.ok ? 'no acceptance' : a.error.message}`)
    }
    if (this.#revoked(cidOfJwt(jwt), org)) return fail('CREDENTIAL_REVOKED', `the AgentCredential of ${did} was revoked by ${org}`)
    if (bound == null || bound.credential !== jwt || (accepted && bound.acceptance !== options.acceptance)) {
      let next: Binding
      if (bound == null || bound.credential === jwt) {
        next = { org, credential: jwt, ...(accepted ? { acceptance: options.acceptance } : bound?.acceptance != null ? { acceptance: bound.acceptance } : {}) }
      } else {
        // same org: keep the credential that lasts longest (never replace a valid one with an older one),
        // except that one issued under the org's newer key replaces one issued under a retired key
        const prevV = this.#verify(bound.credential)
        const reissued = bound.org !== org && this.#succession?.successorsOf(bound.org).includes(org) === true
        // and one under a retired key never displaces one its successor issued
        const superseded = bound.org !== org && this.#succession?.successorsOf(org).includes(bound.org) === true
        const newer = !superseded && (!prevV.ok || reissued || prevV.value.expiresAt <= v.value.expiresAt || this.#revoked(cidOfJwt(bound.credential), bound.org))
        next = newer
          ? { org, credential: jwt, ...(accepted ? { acceptance: options.acceptance } : {}) }
          : bound
      }
      if (next !== bound) {
        this.#cache.set(did, next)
        await this.#repo.put(did, JSON.stringify(next))
      }
    }
    return ok(this.#info(v.value))
  }

  /** The principal's current credential, verified now (fails closed when unknown, expired or revoked). */
  check (did: string): Result<PrincipalInfo> {
    const b = this.#cache.get(did)
    if (b == null) return fail('UNKNOWN_PRINCIPAL', `no AgentCredential known for ${did}`)
    const v = this.#verify(b.credential)
    if (!v.ok) {
      const code = v.error.code === 'WRONG_ISSUER' ? 'PRINCIPAL_ORG_NOT_ENROLLED' : v.error.code === 'EXPIRED' ? 'CREDENTIAL_EXPIRED' : v.error.code
      return fail(code, `AgentCredential of ${did}: ${v.error.message}`)
    }
    if (this.#revoked(cidOfJwt(b.credential), b.org)) return fail('CREDENTIAL_REVOKED', `the AgentCredential of ${did} was revoked by ${b.org}`)
    return ok(this.#info(v.value))
  }

  /** Every principal whose credential verifies now. */
  list (): PrincipalInfo[] {
    const out: PrincipalInfo[] = []
    for (const did of this.#cache.keys()) {
      const p = this.check(did)
      if (p.ok) out.push(p.value)
    }
    return out
  }

  /** The org a DID is bound to (its current DID), whatever the state of its credential. */
  orgOf (did: string): string | undefined {
    const org = this.#cache.get(did)?.org
    return org == null ? undefined : this.#current(org)
  }

  #info (v: VerifiedAgentCredential): PrincipalInfo {
    return { ...info(v), org: this.#current(v.issuer) }
  }

  credentialOf (did: string): string | undefined {
    return this.#cache.get(did)?.credential
  }

  /** The agent's acceptance of its current credential, when known (shipped beside it). */
  acceptanceOf (did: string): string | undefined {
    return this.#cache.get(did)?.acceptance
  }

  /** Forget an agent (this org removed it); its revoked credential stays refused wherever it travels. */
  async forget (did: string): Promise<void> {
    if (!this.#cache.delete(did)) return
    await this.#repo.del(did)
  }
}

/** Acceptances keyed by the CID of the credential they accept (as shipped in tasks and deliveries). */
export function acceptancesFor (book: PrincipalBook, dids: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const did of dids) {
    const c = book.credentialOf(did)
    const a = book.acceptanceOf(did)
    if (c != null && a != null) out[cidOfJwt(c)] = a
  }
  return out
}

/** The acceptance shipped for `credential` in a map keyed by credential CID. */
export function acceptanceOfCredential (acceptances: Record<string, string> | undefined, credential: string): string | undefined {
  return acceptances == null ? undefined : acceptances[cidOfJwt(credential)]
}

function parseStored (stored: string): Binding | undefined {
  if (stored.startsWith('{')) {
    try {
      const b = JSON.parse(stored) as Binding
      return typeof b.org === 'string' && typeof b.credential === 'string' ? b : undefined
    } catch { return undefined }
  }
  const d = decodeJwt(stored)
  return d.ok && typeof d.value.payload.iss === 'string' ? { org: d.value.payload.iss, credential: stored } : undefined
}

function info (v: VerifiedAgentCredential): PrincipalInfo {
  return { did: v.subject.id, org: v.issuer, ring: v.subject.ring, name: v.subject.name, capabilities: v.subject.capabilities, credential: v.jwt }
}
