/**
 * Opens a node's LevelDB store (`<dataDir>/db`). LevelDB's own lock makes a second process fail;
 * that failure is reported as StoreLockedError naming the directory. Security-relevant writes go
 * through `batch()`: one atomic classic-level batch across sublevels, written with `sync: true`.
 */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Level } from 'level'
import type { Logger } from '../logger.js'
import { StoreClosedError, StoreLockedError, StoreOpenError } from './errors.js'
import { createRepository, type Codec, type JsonSublevel, type Repository } from './repository.js'
import type { SublevelName } from './sublevels.js'

export interface StoreBatch {
  put: (sublevel: SublevelName, key: string, value: unknown) => StoreBatch
  del: (sublevel: SublevelName, key: string) => StoreBatch
  readonly length: number
  /** Write every operation atomically with `sync: true`. */
  write: () => Promise<void>
}

export interface Store {
  readonly location: string
  repository: <T>(name: SublevelName, codec?: Codec<T>) => Repository<T>
  /** Raw JSON-valued sublevel (for adapters that need iterators or batches of their own). */
  sublevel: (name: SublevelName) => JsonSublevel
  /** Raw bytes-valued sublevel (for the libp2p datastore). */
  bytesSublevel: (name: SublevelName) => unknown
  batch: () => StoreBatch
  close: () => Promise<void>
  readonly isOpen: boolean
}

export async function openStore (dataDir: string, options: { logger?: Logger } = {}): Promise<Store> {
  const location = join(resolve(dataDir), 'db')
  await mkdir(location, { recursive: true, mode: 0o700 })
  const db = new Level<string, unknown>(location, { valueEncoding: 'json' })
  try {
    await db.open()
  } catch (err) {
    const cause = (err as { cause?: { code?: string, message?: string } }).cause
    const text = `${(err as Error).message} ${cause?.message ?? ''}`
    if (cause?.code === 'LEVEL_LOCKED' || /lock/i.test(text)) {
      throw new StoreLockedError(`data directory ${resolve(dataDir)} is in use by another trustmesh process (its store ${location} is locked)`)
    }
    throw new StoreOpenError(`cannot open the store in ${location}: ${text.trim()}`)
  }
  options.logger?.debug('store opened', { location })
  const subs = new Map<string, JsonSublevel>()
  const sub = (name: SublevelName): JsonSublevel => {
    let s = subs.get(name)
    if (s == null) {
      s = db.sublevel<string, unknown>(name, { valueEncoding: 'json' }) as unknown as JsonSublevel
      subs.set(name, s)
    }
    return s
  }
  let closed = false
  return {
    location,
    get isOpen () { return !closed && db.status === 'open' },
    repository: <T>(name: SublevelName, codec?: Codec<T>) => createRepository<T>(name, sub(name), codec),
    sublevel: sub,
    bytesSublevel: (name) => db.sublevel<string, Uint8Array>(name, { valueEncoding: 'view' }),
    batch () {
      const ops: Array<{ type: 'put' | 'del', key: string, value?: unknown, sublevel: JsonSublevel }> = []
      const b: StoreBatch = {
        put (s, key, value) { ops.push({ type: 'put', key, value, sublevel: sub(s) }); return b },
        del (s, key) { ops.push({ type: 'del', key, sublevel: sub(s) }); return b },
        get length () { return ops.length },
        async write () {
          if (closed) throw new StoreClosedError(`store ${location} is closed`)
          if (ops.length === 0) return
          await db.batch(ops as never, { sync: true } as never)
        }
      }
      return b
    },
    async close () {
      if (closed) return
      closed = true
      await db.close()
    }
  }
}
