/**
 * Invocation freshness across restarts: every accepted invocation's nonce and CID are recorded
 * (synced) until the invocation expires, and an invocation that reuses either is refused. Held in
 * memory for the hot path, persisted in the `nonces` sublevel, pruned after expiry.
 */
import type { Repository } from '../../store/repository.js'

/** Keep entries a little past expiry so skewed clocks cannot replay at the edge. */
const GRACE_MS = 120_000

export class ReplayGuard {
  readonly #repo: Repository<number>
  readonly #seen = new Map<string, number>()

  constructor (repo: Repository<number>) {
    this.#repo = repo
  }

  async load (now: number): Promise<void> {
    for (const [k, until] of await this.#repo.list()) {
      if (until > now) this.#seen.set(k, until)
      else await this.#repo.del(k, { sync: false })
    }
  }

  seen (key: string): boolean {
    return this.#seen.has(key)
  }

  /** Record keys before the task runs; returns false if any was recorded meanwhile (a race). */
  async record (keys: readonly string[], expiresAtMs: number): Promise<boolean> {
    if (keys.some(k => this.#seen.has(k))) return false
    const until = expiresAtMs + GRACE_MS
    for (const k of keys) this.#seen.set(k, until)
    // together, so LevelDB commits them in one synced write group rather than one fsync after the other
    await Promise.all(keys.map(async k => { await this.#repo.put(k, until, { sync: true }) }))
    return true
  }

  prune (now: number): void {
    for (const [k, until] of this.#seen) {
      if (until <= now) {
        this.#seen.delete(k)
        void this.#repo.del(k, { sync: false }).catch(() => {})
      }
    }
  }

  get size (): number {
    return this.#seen.size
  }
}
