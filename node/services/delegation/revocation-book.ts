/**
 * Revocations this node holds. A signed revocation is kept even when this node does not know the
 * token yet; it takes effect for a chain only when its issuer is an issuer at or above the revoked
 * link in that chain (or the org that owns the root), which is checked at every validation.
 */
import { decodeJwt } from '../../../identity/jwt.js'
import type { Repository } from '../../store/repository.js'

export interface StoredRevocation {
  cid: string
  issuer: string
  jwt: string
  issuedAt: number
}

export class RevocationBook {
  readonly #repo: Repository<StoredRevocation>
  readonly #byCid = new Map<string, StoredRevocation[]>()
  readonly #listeners = new Set<(cid: string) => void>()

  constructor (repo: Repository<StoredRevocation>) {
    this.#repo = repo
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

  /** Persist (synced) and index a revocation whose signature has been verified. */
  async add (r: StoredRevocation): Promise<boolean> {
    const key = `${r.cid}/${r.issuer}/${r.issuedAt}`
    if (!this.#index(r)) return false
    await this.#repo.put(key, r, { sync: true })
    for (const l of this.#listeners) l(r.cid)
    return true
  }

  has (jwt: string): boolean {
    const d = decodeJwt(jwt)
    if (!d.ok) return false
    const cid = d.value.payload.revoke
    return typeof cid === 'string' && (this.#byCid.get(cid)?.some(r => r.jwt === jwt) ?? false)
  }

  /** Revoked for a chain in which `authorised` are the issuers allowed to revoke `cid`. */
  isRevoked (cid: string, authorised: ReadonlySet<string>): StoredRevocation | undefined {
    return this.#byCid.get(cid)?.find(r => authorised.has(r.issuer))
  }

  onRevoked (listener: (cid: string) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  all (): StoredRevocation[] {
    return [...this.#byCid.values()].flat()
  }
}
