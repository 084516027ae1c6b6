/**
 * Enrolled partner organisations, as SPIRE's federation relationships: an operator names an org DID
 * (known out of band) and optionally its node addresses, a display name, the most privileged ring its
 * agents may reach here (foreign agents default to ring 3), whether it is pre-trusted for EigenTrust,
 * and a SPIFFE bundle and ID it must present. Persisted; kept in memory for the hot path.
 */
import { parseDidKey } from '../../identity/did-key.js'
import { parseLanMultiaddr } from '../libp2p/lan-only.js'

export interface SpiffeEnrolment {
  /** PEM bundle of that partner's trust domain; never merged with another's. */
  bundlePem: string
  spiffeId: string
}

export interface Enrolment {
  orgDid: string
  name?: string
  addrs: string[]
  /** Most privileged ring this org's agents can act with here (1..3). */
  maxRing: number
  preTrusted: boolean
  enrolledAt: number
  spiffe?: SpiffeEnrolment
}

export interface EnrolmentRepository {
  get: (key: string) => Promise<Enrolment | undefined>
  put: (key: string, value: Enrolment) => Promise<void>
  del: (key: string) => Promise<void>
  list: () => Promise<Array<[string, Enrolment]>>
}

export class EnrolmentError extends Error {
  override readonly name = 'EnrolmentError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

export const DEFAULT_FOREIGN_MAX_RING = 3

export interface EnrolInput {
  orgDid: string
  name?: string
  addrs?: string[]
  maxRing?: number
  preTrusted?: boolean
  spiffe?: SpiffeEnrolment
}

export function validateEnrolInput (input: EnrolInput, selfOrg: string): void {
  const did = parseDidKey(input.orgDid)
  if (!did.ok) throw new EnrolmentError(did.error.code, `org DID: ${did.error.message}`)
  if (input.orgDid === selfOrg) throw new EnrolmentError('SELF_ENROLMENT', 'an org cannot enrol itself as a partner')
  if (input.maxRing !== undefined && (!Number.isInteger(input.maxRing) || input.maxRing < 1 || input.maxRing > 3)) {
    throw new EnrolmentError('INVALID_RING', `--max-ring must be 1, 2 or 3 (ring 0 is never granted to a partner), got ${String(input.maxRing)}`)
  }
  if (input.name !== undefined && (typeof input.name !== 'string' || input.name.length > 128)) throw new EnrolmentError('INVALID_NAME', 'name must be at most 128 characters')
  for (const a of input.addrs ?? []) parseLanMultiaddr(a, 'partner address')
}

export class Enrolments {
  readonly #cache = new Map<string, Enrolment>()
  readonly #repo: EnrolmentRepository
  readonly #selfOrg: string

  constructor (repo: EnrolmentRepository, selfOrg: string) {
    this.#repo = repo
    this.#selfOrg = selfOrg
  }

  async load (): Promise<void> {
    this.#cache.clear()
    for (const [k, v] of await this.#repo.list()) this.#cache.set(k, v)
  }

  get (orgDid: string): Enrolment | undefined {
    return this.#cache.get(orgDid)
  }

  list (): Enrolment[] {
    return [...this.#cache.values()].sort((a, b) => a.enrolledAt - b.enrolledAt)
  }

  /** Add or update an enrolment (addresses are merged). */
  async add (input: EnrolInput, now: number): Promise<Enrolment> {
    validateEnrolInput(input, this.#selfOrg)
    const prev = this.#cache.get(input.orgDid)
    const e: Enrolment = {
      orgDid: input.orgDid,
      name: input.name ?? prev?.name,
      addrs: [...new Set([...(prev?.addrs ?? []), ...(input.addrs ?? [])])],
      maxRing: input.maxRing ?? prev?.maxRing ?? DEFAULT_FOREIGN_MAX_RING,
      preTrusted: input.preTrusted ?? prev?.preTrusted ?? false,
      enrolledAt: prev?.enrolledAt ?? now,
      ...((input.spiffe ?? prev?.spiffe) != null ? { spiffe: input.spiffe ?? prev?.spiffe } : {})
    }
    if (e.name === undefined) delete e.name
    await this.#repo.put(e.orgDid, e)
    this.#cache.set(e.orgDid, e)
    return e
  }

  async setPreTrusted (orgDid: string, preTrusted: boolean): Promise<Enrolment> {
    const prev = this.#cache.get(orgDid)
    if (prev == null) throw new EnrolmentError('NOT_ENROLLED', `org ${orgDid} is not enrolled`)
    const e = { ...prev, preTrusted }
    await this.#repo.put(orgDid, e)
    this.#cache.set(orgDid, e)
    return e
  }

  async remove (orgDid: string): Promise<boolean> {
    if (!this.#cache.has(orgDid)) return false
    await this.#repo.del(orgDid)
    this.#cache.delete(orgDid)
    return true
  }
}
