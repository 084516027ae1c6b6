/**
 * Atomic writes across repositories: a `StoreBatch` collects puts and deletes on any sublevels and
 * commits them as one classic-level batch with `sync: true`, so after a crash either every operation
 * is on disk or none is, and `write()` resolving means the data survives power loss.
 */
import type { ClassicLevel } from 'classic-level'
import { BatchSpentError, InvalidStoreArgumentError, StoreWriteError } from './errors.js'
import type { TextSublevel } from './level-repository.js'
import { assertKey, encodeValue } from './repository.js'
import { isSublevelName } from './sublevels.js'
import type { SublevelName } from './sublevels.js'

export interface StoreBatch {
  /** Number of operations queued. */
  readonly length: number
  put: (name: SublevelName, key: string, value: unknown) => StoreBatch
  del: (name: SublevelName, key: string) => StoreBatch
  /** Commits everything atomically with `sync: true`. A batch is written at most once. */
  write: () => Promise<void>
}

type Op =
  | { type: 'put', sublevel: TextSublevel, key: string, value: string }
  | { type: 'del', sublevel: TextSublevel, key: string }

export class LevelStoreBatch implements StoreBatch {
  private readonly db: ClassicLevel<string, string>
  private readonly sublevelFor: (name: SublevelName) => TextSublevel
  private readonly guard: (what: string) => void
  private readonly ops: Op[] = []
  private spent = false

  constructor (db: ClassicLevel<string, string>, sublevelFor: (name: SublevelName) => TextSublevel, guard: (what: string) => void) {
    this.db = db
    this.sublevelFor = sublevelFor
    this.guard = guard
  }

  get length (): number {
    return this.ops.length
  }

  put (name: SublevelName, key: string, value: unknown): this {
    this.check(name, key)
    this.ops.push({ type: 'put', sublevel: this.sublevelFor(name), key, value: encodeValue(name, key, value) })
    return this
  }

  del (name: SublevelName, key: string): this {
    this.check(name, key)
    this.ops.push({ type: 'del', sublevel: this.sublevelFor(name), key })
    return this
  }

  async write (): Promise<void> {
    if (this.spent) throw new BatchSpentError()
    this.spent = true
    if (this.ops.length === 0) return
    this.guard('batch write')
    try {
      await this.db.batch(this.ops, { sync: true })
    } catch (err) {
      throw new StoreWriteError(`batch of ${this.ops.length} operations`, { cause: err })
    }
  }

  private check (name: string, key: string): void {
    if (this.spent) throw new BatchSpentError()
    if (!isSublevelName(name)) throw new InvalidStoreArgumentError(`unknown sublevel ${JSON.stringify(name)}`)
    assertKey(name, key)
  }
}
