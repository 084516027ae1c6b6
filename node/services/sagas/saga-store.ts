/**
 * Sagas this node coordinates, one record each in the `sagas` sublevel, written synced before every
 * step and state change (a coordinator killed at any point finds on restart exactly what it had
 * decided). Kept in memory as well for `saga list` and `doctor`.
 */
import type { Repository } from '../../store/repository.js'
import { MAX_TIMELINE, type SagaRecord, type TimelineEvent } from '../../../sagas/index.js'

export class SagaStore {
  readonly #repo: Repository<SagaRecord>
  readonly #byId = new Map<string, SagaRecord>()
  readonly #writes = new Map<string, Promise<void>>()

  constructor (repo: Repository<SagaRecord>) {
    this.#repo = repo
  }

  async load (): Promise<void> {
    for (const [k, v] of await this.#repo.list()) this.#byId.set(k, v)
  }

  get (id: string): SagaRecord | undefined {
    return this.#byId.get(id)
  }

  list (): SagaRecord[] {
    return [...this.#byId.values()].sort((a, b) => a.createdAt - b.createdAt)
  }

  /**
   * Persist (synced) and then remember: what is in memory was on disk first. Writes of one saga land
   * in the order they were asked for (an operator's cancel saves while the coordinator does): two
   * puts of one key in flight at once may otherwise finish in either order, leaving the older state.
   */
  async save (rec: SagaRecord, now: number): Promise<void> {
    rec.updatedAt = now
    if (rec.timeline.length > MAX_TIMELINE) rec.timeline.splice(1, rec.timeline.length - MAX_TIMELINE)
    // encoded now: the record keeps changing while the write waits its turn
    const snapshot = JSON.parse(JSON.stringify(rec)) as SagaRecord
    const prev = this.#writes.get(rec.id) ?? Promise.resolve()
    const write = prev.catch(() => {}).then(async () => { await this.#repo.put(rec.id, snapshot, { sync: true }) })
    this.#writes.set(rec.id, write)
    try {
      await write
    } finally {
      if (this.#writes.get(rec.id) === write) this.#writes.delete(rec.id)
    }
    this.#byId.set(rec.id, rec)
  }

  static event (rec: SagaRecord, e: TimelineEvent): void {
    rec.timeline.push(e)
  }
}
