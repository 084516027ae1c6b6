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

  /** Persist (synced) and then remember: what is in memory was on disk first. */
  async save (rec: SagaRecord, now: number): Promise<void> {
    rec.updatedAt = now
    if (rec.timeline.length > MAX_TIMELINE) rec.timeline.splice(1, rec.timeline.length - MAX_TIMELINE)
    await this.#repo.put(rec.id, rec, { sync: true })
    this.#byId.set(rec.id, rec)
  }

  static event (rec: SagaRecord, e: TimelineEvent): void {
    rec.timeline.push(e)
  }
}
