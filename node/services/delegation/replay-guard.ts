/**
 * Invocation freshness across restarts: every accepted invocation's nonce and CID are recorded
 * (synced) until the invocation expires, and an invocation that reuses either is refused. Held in
 * memory for the hot path, persisted in the `nonces` sublevel, pruned after expiry.
 *
 * With a `commit` (one atomic synced batch, as the node gives it) records use group commit, like the
 * audit log: the keys of tasks that arrive while a batch is being written share the next batch (at
 * most MAX_GROUP records), and each `record` resolves only once its own keys are durable; a failed
 * batch rejects every record in it. Without one, each key is a synced put of its own.
 */
import type { Repository } from '../../store/repository.js'

/** Keep entries a little past expiry so skewed clocks cannot replay at the edge. */
const GRACE_MS = 120_000
/** Most records written in one batch. */
export const MAX_GROUP = 256

/** Writes the entries in one atomic synced batch. */
export type ReplayCommit = (entries: ReadonlyArray<readonly [string, number]>) => Promise<void>

interface Waiting { entries: Array<readonly [string, number]>, done: (err?: unknown) => void }

export class ReplayGuard {
  readonly #repo: Repository<number>
  readonly #commit: ReplayCommit | undefined
  readonly #seen = new Map<string, number>()
  readonly #queue: Waiting[] = []
  #running = false
  #commits = 0

  constructor (repo: Repository<number>, options: { commit?: ReplayCommit } = {}) {
    this.#repo = repo
    this.#commit = options.commit
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
    if (this.#commit == null) {
      // together, so LevelDB commits them in one synced write group rather than one fsync after the other
      await Promise.all(keys.map(async k => { await this.#repo.put(k, until, { sync: true }) }))
      this.#commits++
      return true
    }
    await new Promise<void>((resolve, reject) => {
      this.#queue.push({ entries: keys.map(k => [k, until] as const), done: (err) => { if (err == null) resolve(); else reject(err) } })
      this.#kick()
    })
    return true
  }

  /** Writes queued records, a group per batch, until none is left. */
  #kick (): void {
    if (this.#running) return
    this.#running = true
    void (async () => {
      try {
        while (this.#queue.length > 0) {
          const group = this.#queue.splice(0, MAX_GROUP)
          try {
            await (this.#commit as ReplayCommit)(group.flatMap(g => g.entries))
            this.#commits++
            for (const g of group) g.done()
          } catch (err) {
            for (const g of group) g.done(err)
          }
        }
      } finally {
        this.#running = false
      }
    })()
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

  /** Synced writes made so far (for tests: concurrent records share them). */
  get commits (): number {
    return this.#commits
  }
}
