/**
 * Delegations this node holds: the ones its agents issued or received, with every proof they rest
 * on, keyed by CID. It answers "which delegation lets agent X do ability A on resource R" and
 * "which proofs ship with CID c".
 */
import { decodeDelegation, cidOfJwt, listCapabilities, capabilityWithin, type Delegation, type Capability } from '../../../identity/ucan/index.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { Repository } from '../../store/repository.js'

export interface StoredDelegation {
  cid: string
  jwt: string
  issuer: string
  audience: string
  expiration: number | null
  proofs: string[]
  storedAt: number
}

/** Most proofs collected for one chain (mirrors the validator's cap). */
const MAX_CHAIN_PROOFS = 64

export class DelegationBook {
  readonly #repo: Repository<StoredDelegation>
  readonly #byCid = new Map<string, StoredDelegation>()

  constructor (repo: Repository<StoredDelegation>) {
    this.#repo = repo
  }

  async load (): Promise<void> {
    for (const [k, v] of await this.#repo.list()) this.#byCid.set(k, v)
  }

  /** Store a delegation JWT (decoded and CID-checked; signatures are checked by the chain validator). */
  async add (jwt: string, now: number): Promise<Result<StoredDelegation>> {
    const d = decodeDelegation(jwt)
    if (!d.ok) return d
    const prev = this.#byCid.get(d.value.cid)
    if (prev != null) return ok(prev)
    const rec: StoredDelegation = { cid: d.value.cid, jwt, issuer: d.value.issuer, audience: d.value.audience, expiration: d.value.expiration, proofs: [...d.value.proofs], storedAt: now }
    await this.#repo.put(rec.cid, rec, { sync: true })
    this.#byCid.set(rec.cid, rec)
    return ok(rec)
  }

  get (cid: string): StoredDelegation | undefined {
    return this.#byCid.get(cid)
  }

  list (): StoredDelegation[] {
    return [...this.#byCid.values()].sort((a, b) => a.storedAt - b.storedAt)
  }

  /** The JWTs of `cid` and every proof above it, keyed by CID; an error names a missing proof. */
  chainOf (cid: string): Result<Record<string, string>> {
    const held = this.heldChainOf(cid)
    if (held.missing.length > 0) return fail('MISSING_PROOF', `proof ${held.missing[0]} is not held by this node`)
    if (held.truncated) return fail('TOO_MANY_PROOFS', `chain of ${cid} has more than ${MAX_CHAIN_PROOFS} proofs`)
    return ok(held.jwts)
  }

  /** The JWTs of `cid` and of every proof above it that this node holds; what it lacks is listed. */
  heldChainOf (cid: string): { jwts: Record<string, string>, missing: string[], truncated: boolean } {
    const jwts: Record<string, string> = {}
    const missing: string[] = []
    const todo = [cid]
    while (todo.length > 0) {
      const c = todo.pop() as string
      if (jwts[c] != null || missing.includes(c)) continue
      const rec = this.#byCid.get(c)
      if (rec == null) {
        missing.push(c)
        continue
      }
      jwts[c] = rec.jwt
      if (Object.keys(jwts).length > MAX_CHAIN_PROOFS) return { jwts, missing, truncated: true }
      todo.push(...rec.proofs)
    }
    return { jwts, missing, truncated: false }
  }

  /** Delegations to `holder` granting `ability` on `resource`, newest first. */
  grantsFor (holder: string, resource: string, ability: string, nowSeconds: number): Array<{ rec: StoredDelegation, capability: Capability }> {
    const want: Capability = { resource, ability, caveats: [{}] }
    const found: Array<{ rec: StoredDelegation, capability: Capability }> = []
    for (const rec of this.#byCid.values()) {
      if (rec.audience !== holder) continue
      if (rec.expiration != null && rec.expiration <= nowSeconds) continue
      const d = decodeDelegation(rec.jwt)
      if (!d.ok) continue
      for (const c of listCapabilities(d.value.capabilities)) {
        if (capabilityWithin({ ...want, caveats: c.caveats }, c)) found.push({ rec, capability: c })
      }
    }
    return found.sort((a, b) => b.rec.storedAt - a.rec.storedAt)
  }

  static cid (jwt: string): string {
    return cidOfJwt(jwt)
  }

  static decode (jwt: string): Result<Delegation> {
    return decodeDelegation(jwt)
  }
}
