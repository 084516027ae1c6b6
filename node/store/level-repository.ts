/**
 * `Repository<T>` over one classic-level sublevel. Values are stored as JSON text and parsed here (not
 * by level's json encoding) so that a damaged record surfaces as `CorruptRecordError` naming the
 * sublevel and key. Writes default to `sync: true`.
 */
import type { AbstractSublevel } from 'abstract-level'
import type { ClassicLevel } from 'classic-level'
import { StoreError, StoreReadError, StoreWriteError } from './errors.js'
import { assertKey, decodeValue, encodeValue, resolveRange } from './repository.js'
import type { Codec, ListOptions, PutOptions, Repository, ResolvedRange } from './repository.js'

/** A sublevel with utf8 keys and utf8 (JSON text) values. */
export type TextSublevel = AbstractSublevel<ClassicLevel<string, string>, string | Buffer | Uint8Array, string, string>

interface LevelRangeOptions { gt?: string, gte?: string, lt?: string, lte?: string, limit: number, reverse: boolean }

function levelRange (range: ResolvedRange): LevelRangeOptions {
  const out: LevelRangeOptions = { limit: range.limit ?? -1, reverse: range.reverse }
  if (range.lower !== undefined) {
    if (range.lower.inclusive) out.gte = range.lower.key
    else out.gt = range.lower.key
  }
  if (range.upper !== undefined) {
    if (range.upper.inclusive) out.lte = range.upper.key
    else out.lt = range.upper.key
  }
  return out
}

/** classic-level forwards `sync` through sublevels to LevelDB's WriteOptions; the abstract types omit it. */
function syncOptions (options: PutOptions): {} {
  const out = { sync: options.sync ?? true }
  return out
}

function readFailure (what: string, err: unknown): Error {
  return err instanceof StoreError ? err : new StoreReadError(what, { cause: err })
}

export class LevelRepository<T> implements Repository<T> {
  readonly name: string
  private readonly db: TextSublevel
  private readonly codec: Codec<T> | undefined
  private readonly guard: (what: string) => void

  /** `guard` throws `StoreClosedError` once the store is closed. */
  constructor (name: string, db: TextSublevel, guard: (what: string) => void, codec?: Codec<T>) {
    this.name = name
    this.db = db
    this.guard = guard
    this.codec = codec
  }

  async get (key: string): Promise<T | undefined> {
    assertKey(this.name, key)
    this.guard(`get ${this.name}`)
    let text: string | undefined
    try {
      text = await this.db.get(key)
    } catch (err) {
      throw readFailure(`get ${this.name}`, err)
    }
    return text === undefined ? undefined : decodeValue(this.name, key, text, this.codec)
  }

  async getMany (keys: readonly string[]): Promise<Array<T | undefined>> {
    for (const key of keys) assertKey(this.name, key)
    this.guard(`getMany ${this.name}`)
    let texts: Array<string | undefined>
    try {
      texts = await this.db.getMany([...keys])
    } catch (err) {
      throw readFailure(`getMany ${this.name}`, err)
    }
    return texts.map((text, i) => text === undefined ? undefined : decodeValue(this.name, keys[i], text, this.codec))
  }

  async has (key: string): Promise<boolean> {
    assertKey(this.name, key)
    this.guard(`has ${this.name}`)
    try {
      return await this.db.has(key)
    } catch (err) {
      throw readFailure(`has ${this.name}`, err)
    }
  }

  async put (key: string, value: T, options: PutOptions = {}): Promise<void> {
    assertKey(this.name, key)
    const text = encodeValue(this.name, key, value)
    this.guard(`put ${this.name}`)
    try {
      await this.db.put(key, text, syncOptions(options))
    } catch (err) {
      throw new StoreWriteError(`put ${this.name}`, { cause: err })
    }
  }

  async del (key: string, options: PutOptions = {}): Promise<void> {
    assertKey(this.name, key)
    this.guard(`del ${this.name}`)
    try {
      await this.db.del(key, syncOptions(options))
    } catch (err) {
      throw new StoreWriteError(`del ${this.name}`, { cause: err })
    }
  }

  async list (options?: ListOptions): Promise<Array<[string, T]>> {
    const out: Array<[string, T]> = []
    for await (const entry of this.entries(options)) out.push(entry)
    return out
  }

  async * entries (options?: ListOptions): AsyncIterableIterator<[string, T]> {
    const range = resolveRange(this.name, options)
    if (range.empty) return
    this.guard(`iterate ${this.name}`)
    const it = this.db.iterator(levelRange(range))
    try {
      while (true) {
        let batch: Array<[string, string]>
        try {
          batch = await it.nextv(256)
        } catch (err) {
          throw readFailure(`iterate ${this.name}`, err)
        }
        if (batch.length === 0) return
        for (const [key, text] of batch) yield [key, decodeValue(this.name, key, text, this.codec)]
      }
    } finally {
      await it.close()
    }
  }

  async * values (options?: ListOptions): AsyncIterableIterator<T> {
    for await (const [, value] of this.entries(options)) yield value
  }

  async * keys (options?: ListOptions): AsyncIterableIterator<string> {
    const range = resolveRange(this.name, options)
    if (range.empty) return
    this.guard(`iterate ${this.name}`)
    const it = this.db.keys(levelRange(range))
    try {
      while (true) {
        let batch: string[]
        try {
          batch = await it.nextv(1024)
        } catch (err) {
          throw readFailure(`iterate ${this.name}`, err)
        }
        if (batch.length === 0) return
        yield * batch
      }
    } finally {
      await it.close()
    }
  }

  async count (options?: ListOptions): Promise<number> {
    let n = 0
    for await (const _ of this.keys(options)) n++
    return n
  }
}
