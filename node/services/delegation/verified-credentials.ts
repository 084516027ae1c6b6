/**
 * AgentCredentials that verified, remembered by their exact JWT, with the acceptances that verified
 * for them. A task re-checks the same few credentials several times on every hop (learned from the
 * request, then each principal of the chain), and each full check is an Ed25519 verification: in the
 * B12 profile that was the largest CPU cost of the executing node (~4 ms per task under load).
 *
 * Only the signature check is saved, never a time or issuer check: a remembered credential counts
 * while it is strictly inside its own validity window (no skew allowance, so at the edges the full
 * check runs again and decides) and while its issuer is still one the caller trusts. A failed check
 * forgets the credential. An acceptance is a pure function of its text, the credential, the agent
 * and the org (no time), so a verified one is remembered under all four.
 */
import { verifyAgentCredential, type VerifiedAgentCredential } from '../../../identity/credentials.js'
import { verifyAcceptance } from '../../../identity/agent-acceptance.js'
import { ok, type Result } from '../../../identity/result.js'
import type { Clock } from '../../../identity/clock.js'

/** Most entries of each kind; beyond it the memory starts again (a cost, never a wrong answer). */
export const MAX_REMEMBERED = 4096

export class VerifiedCredentials {
  readonly #clock: Clock
  readonly #credentials = new Map<string, VerifiedAgentCredential>()
  readonly #acceptances = new Set<string>()
  /** Full signature checks made (for tests: a warm memory makes none). */
  #verifications = 0

  constructor (clock: Clock) {
    this.#clock = clock
  }

  /** The credential verified against `trustedOrgs` now: from memory inside its window, else in full. */
  verify (jwt: string, trustedOrgs: readonly string[]): Result<VerifiedAgentCredential> {
    const hit = this.#credentials.get(jwt)
    if (hit != null) {
      const nowS = Math.floor(this.#clock.now() / 1000)
      const from = Math.max(hit.issuedAt, hit.notBefore ?? hit.issuedAt)
      if (from <= nowS && nowS < hit.expiresAt && trustedOrgs.includes(hit.issuer)) return ok(hit)
    }
    this.#verifications++
    const v = verifyAgentCredential(jwt, { clock: this.#clock, expectedIssuer: [...trustedOrgs] })
    if (v.ok) {
      if (this.#credentials.size >= MAX_REMEMBERED) this.#credentials.clear()
      this.#credentials.set(jwt, v.value)
    } else {
      this.#credentials.delete(jwt)
    }
    return v
  }

  /** verifyAcceptance, remembered when it succeeds. */
  acceptance (acceptance: unknown, credential: string, agentDid: string, orgDid: string): Result<true> {
    if (typeof acceptance !== 'string') return verifyAcceptance(acceptance, credential, agentDid, orgDid)
    const key = `${agentDid}\n${orgDid}\n${credential}\n${acceptance}`
    if (this.#acceptances.has(key)) return ok(true)
    this.#verifications++
    const v = verifyAcceptance(acceptance, credential, agentDid, orgDid)
    if (v.ok) {
      if (this.#acceptances.size >= MAX_REMEMBERED) this.#acceptances.clear()
      this.#acceptances.add(key)
    }
    return v
  }

  get verifications (): number {
    return this.#verifications
  }
}
