/**
 * In-memory `Repository<T>` for pure code and tests (trust, audit, policy). It follows exactly the
 * LevelDB repository's rules: JSON values (so callers cannot mutate stored records through a shared
 * reference), code point key order, snapshot iteration, `CorruptRecordError` on bad records. The
 * shared conformance suite runs against both.
 */
import { assertKey, compareKeys, decodeValue, encodeValue, inRange, resolveRange } from './repository.js'
import type { Codec, ListOptions, PutOptions, Repository } from './repository.js'

export class MemoryRepository<T> implements Repository<T> {
  readonly name: string
  private readonly codec: Codec<T> | undefined
  private readonly texts = new Map<string, string>()
  /** Keys in code point order. */
  private sorted: string[] = []

  constructor (name: string, codec?: Codec<T>) {
    this.name = name
    this.codec = codec
  }

  async get (key: string): Promise<T | undefined> {
    assertKey(this.name, key)
    const text = this.texts.get(key)
    return text === undefined ? undefined : decodeValue(this.name, key, text, this.codec)
  }

  async getMany (keys: readonly string[]): Promise<Array<T | undefined>> {
    for (const key of keys) assertKey(this.name, key)
    return keys.map(key => {
      const text = this.texts.get(key)
      return text === undefined ? undefined : decodeValue(this.name, key, text, this.codec)
    })
  }

  async has (key: string): Promise<boolean> {
    assertKey(this.name, key)
    return this.texts.has(key)
  }

  async put (key: string, value: T, _options?: PutOptions): Promise<void> {
    assertKey(this.name, key)
    this.putRaw(key, encodeValue(this.name, key, value))
  }

  async del (key: string, _options?: PutOptions): Promise<void> {
    assertKey(this.name, key)
    if (!this.texts.delete(key)) return
    const i = this.position(key)
    this.sorted.splice(i, 1)
  }

  /** Stores `text` verbatim, bypassing encoding: for tests that plant damaged records. */
  putRaw (key: string, text: string): void {
    assertKey(this.name, key)
    if (!this.texts.has(key)) this.sorted.splice(this.position(key), 0, key)
    this.texts.set(key, text)
  }

  async list (options?: ListOptions): Promise<Array<[string, T]>> {
    const out: Array<[string, T]> = []
    for await (const entry of this.entries(options)) out.push(entry)
    return out
  }

  async * entries (options?: ListOptions): AsyncIterableIterator<[string, T]> {
    for (const [key, text] of this.snapshot(options)) yield [key, decodeValue(this.name, key, text, this.codec)]
  }

  async * values (options?: ListOptions): AsyncIterableIterator<T> {
    for await (const [, value] of this.entries(options)) yield value
  }

  async * keys (options?: ListOptions): AsyncIterableIterator<string> {
    for (const [key] of this.snapshot(options)) yield key
  }

  async count (options?: ListOptions): Promise<number> {
    return this.snapshot(options).length
  }

  /** The entries in range, copied now, as LevelDB iterators read from an implicit snapshot. */
  private snapshot (options?: ListOptions): Array<[string, string]> {
    const range = resolveRange(this.name, options)
    if (range.empty) return []
    const start = range.lower === undefined ? 0 : this.position(range.lower.key)
    const keys: string[] = []
    for (let i = start; i < this.sorted.length; i++) {
      const key = this.sorted[i]
      if (!inRange(range, key)) {
        if (range.upper !== undefined && compareKeys(key, range.upper.key) >= 0) break
        continue
      }
      keys.push(key)
    }
    if (range.reverse) keys.reverse()
    const limited = range.limit === undefined ? keys : keys.slice(0, range.limit)
    return limited.map(key => [key, this.texts.get(key) as string])
  }

  /** Index of the first key >= `key` (binary search). */
  private position (key: string): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareKeys(this.sorted[mid], key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
