/**
 * AgentCredentials this node knows, its own agents' and those that arrive with delegations and
 * tasks. A principal along a chain is accepted only with a credential that verifies now and was
 * issued by this org or an enrolled partner org; the credential also tells the agent's org and ring.
 */
import { verifyAgentCredential, type VerifiedAgentCredential } from '../../../identity/credentials.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { Clock } from '../../../identity/clock.js'
import type { Repository } from '../../store/repository.js'
import type { PrincipalInfo } from '../../../authz/principal.js'

/** What a verified AgentCredential says about an agent (defined in the authorisation core). */
export type { PrincipalInfo } from '../../../authz/principal.js'

export class PrincipalBook {
  readonly #repo: Repository<string>
  readonly #clock: Clock
  readonly #trustedOrgs: () => string[]
  readonly #cache = new Map<string, string>()

  constructor (deps: { repo: Repository<string>, clock: Clock, trustedOrgs: () => string[] }) {
    this.#repo = deps.repo
    this.#clock = deps.clock
    this.#trustedOrgs = deps.trustedOrgs
  }

  async load (): Promise<void> {
    for (const [did, jwt] of await this.#repo.list()) this.#cache.set(did, jwt)
  }

  #verify (jwt: string): Result<VerifiedAgentCredential> {
    return verifyAgentCredential(jwt, { clock: this.#clock, expectedIssuer: this.#trustedOrgs() })
  }

  /**
   * Verify and remember a credential; returns the agent it describes. `org`, when given, is the only
   * issuer accepted (a partner's directory lists its own agents only). An agent DID that already holds
   * a valid credential from one org is never taken over by a credential from another org.
   */
  async add (jwt: string, options: { org?: string, acceptance?: string } = {}): Promise<Result<PrincipalInfo>> {
    const v = this.#verify(jwt)
    if (!v.ok) return v
    if (options.org != null && v.value.issuer !== options.org) return fail('WRONG_ISSUER', `AgentCredential issued by ${v.value.issuer}, expected ${options.org}`)
    const did = v.value.subject.id
    const prev = this.#cache.get(did)
    if (prev !== jwt) {
      // keep the credential that lasts longest; never replace a valid one with an older one
      const prevV = prev != null ? this.#verify(prev) : undefined
      if (prevV != null && prevV.ok && prevV.value.issuer !== v.value.issuer) {
        return fail('PRINCIPAL_CONFLICT', `${did} already holds a valid AgentCredential from ${prevV.value.issuer}; one from ${v.value.issuer} is refused`)
      }
      if (prevV == null || !prevV.ok || prevV.value.expiresAt <= v.value.expiresAt) {
        this.#cache.set(did, jwt)
        await this.#repo.put(did, jwt)
      }
    }
    return ok(info(v.value))
  }

  /** The principal's current credential, verified now (fails closed when unknown or invalid). */
  check (did: string): Result<PrincipalInfo> {
    const jwt = this.#cache.get(did)
    if (jwt == null) return fail('UNKNOWN_PRINCIPAL', `no AgentCredential known for ${did}`)
    const v = this.#verify(jwt)
    if (!v.ok) return fail(v.error.code === 'WRONG_ISSUER' ? 'PRINCIPAL_ORG_NOT_ENROLLED' : v.error.code, `AgentCredential of ${did}: ${v.error.message}`)
    return ok(info(v.value))
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

  credentialOf (did: string): string | undefined {
    return this.#cache.get(did)
  }
}

function info (v: VerifiedAgentCredential): PrincipalInfo {
  return { did: v.subject.id, org: v.issuer, ring: v.subject.ring, name: v.subject.name, capabilities: v.subject.capabilities, credential: v.jwt }
}
