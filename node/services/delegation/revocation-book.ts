/**
 * Revocations this node holds. A signed revocation is kept even when this node does not know the
 * token yet; it takes effect for a chain only when its issuer is an issuer at or above the revoked
 * link in that chain (or the org that owns the root), which is checked at every validation. The
 * index entry is written in the same synced batch as the gossiped record (`stage`), and memory is
 * updated only after that write (`accepted`), so a failed write leaves nothing half-known.
 */
import { decodeJwt } from '../../../identity/jwt.js'
import { checkNotRetired } from '../../../identity/successor-record.js'
import type { Repository } from '../../store/repository.js'
import type { StoreBatch } from '../../store/batch.js'
import { SUBLEVELS, type SublevelName } from '../../store/sublevels.js'

export interface StoredRevocation {
  cid: string
  issuer: string
  jwt: string
  issuedAt: number
}

export const revocationKey = (r: StoredRevocation): string => `${r.cid}/${r.issuer}/${r.issuedAt}`

export class RevocationBook {
  readonly #repo: Repository<StoredRevocation>
  readonly #sublevel: SublevelName
  readonly #byCid = new Map<string, StoredRevocation[]>()
  readonly #listeners = new Set<(cid: string) => void>()
  readonly #retiredAt: ((did: string) => number | undefined) | undefined

  /**
   * `sublevel` is where `repo` keeps its entries, for `stage` into a cross-sublevel batch. With
   * `retiredAt` (org key rotations), a revocation its issuer signed after its key was retired does not
   * count, even one stored before this node learned of the rotation (KEY_RETIRED at use).
   */
  constructor (repo: Repository<StoredRevocation>, sublevel: SublevelName = SUBLEVELS.revocations, options: { retiredAt?: (did: string) => number | undefined } = {}) {
    this.#repo = repo
    this.#sublevel = sublevel
    this.#retiredAt = options.retiredAt
  }

  async load (): Promise<void> {
    for (const [, r] of await this.#repo.list()) this.#index(r)
  }

  #index (r: StoredRevocation): boolean {
    const list = this.#byCid.get(r.cid) ?? []
    if (list.some(x => x.jwt === r.jwt)) return false
    list.push(r)
    this.#byCid.set(r.cid, list)
    return true
  }

  /** Persist (synced), then index, a revocation whose signature has been verified. */
  async add (r: StoredRevocation): Promise<boolean> {
    if (this.#byCid.get(r.cid)?.some(x => x.jwt === r.jwt) === true) return false
    await this.#repo.put(revocationKey(r), r, { sync: true })
    return this.accepted(r)
  }

  /** Queue the index entry of a revocation in the batch that stores its record (one synced write). */
  stage (r: StoredRevocation, batch: StoreBatch): void {
    batch.put(this.#sublevel, revocationKey(r), r)
  }

  /** After the staged batch is written: index in memory and tell listeners. False if already known. */
  accepted (r: StoredRevocation): boolean {
    if (!this.#index(r)) return false
    for (const l of this.#listeners) l(r.cid)
    return true
  }

  /**
   * Revocations that no longer matter at `now` (ms): those of a token whose expiry we know (seconds,
   * from `expiryOf`) once it is past by more than `graceMs`; for a token we do not know, once the
   * revocation itself is older than `maxAgeMs` (by its `issuedAt`, seconds).
   */
  prunable (now: number, expiryOf: (cid: string) => number | undefined, options: { graceMs: number, maxAgeMs: number }): StoredRevocation[] {
    const out: StoredRevocation[] = []
    for (const [cid, list] of this.#byCid) {
      const exp = expiryOf(cid)
      for (const r of list) {
        const until = exp != null ? exp * 1000 + options.graceMs : r.issuedAt * 1000 + options.maxAgeMs
        if (now > until) out.push(r)
      }
    }
    return out
  }

  /** Queue the deletion of a revocation's index entry in the batch that deletes its record. */
  stageRemoval (r: StoredRevocation, batch: StoreBatch): void {
    batch.del(this.#sublevel, revocationKey(r))
  }

  /** After the staged deletion is written: forget it in memory. */
  removed (r: StoredRevocation): void {
    const list = this.#byCid.get(r.cid)?.filter(x => x.jwt !== r.jwt) ?? []
    if (list.length > 0) this.#byCid.set(r.cid, list)
    else this.#byCid.delete(r.cid)
  }

  has (jwt: string): boolean {
    const d = decodeJwt(jwt)
    if (!d.ok) return false
    const cid = d.value.payload.revoke
    return typeof cid === 'string' && (this.#byCid.get(cid)?.some(r => r.jwt === jwt) ?? false)
  }

  /** Revoked for a chain in which `authorised` are the issuers allowed to revoke `cid`. */
  isRevoked (cid: string, authorised: ReadonlySet<string>): StoredRevocation | undefined {
    const retiredAt = this.#retiredAt
    return this.#byCid.get(cid)?.find(r => authorised.has(r.issuer) && (retiredAt == null || checkNotRetired(r.issuer, r.issuedAt, retiredAt).ok))
  }

  onRevoked (listener: (cid: string) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  all (): StoredRevocation[] {
    return [...this.#byCid.values()].flat()
  }
}
