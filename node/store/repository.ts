/**
 * A typed repository over one sublevel: JSON values, optional decoding on read (a record that fails
 * to decode raises CorruptRecordError rather than returning garbage), synced writes by default.
 */
import type { AbstractSublevel } from 'abstract-level'
import { CorruptRecordError } from './errors.js'

export interface Codec<T> {
  decode: (value: unknown) => T
}

export interface ListOptions {
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  prefix?: string
  limit?: number
  reverse?: boolean
}

export interface Repository<T> {
  readonly name: string
  get: (key: string) => Promise<T | undefined>
  has: (key: string) => Promise<boolean>
  put: (key: string, value: T, options?: { sync?: boolean }) => Promise<void>
  del: (key: string, options?: { sync?: boolean }) => Promise<void>
  list: (options?: ListOptions) => Promise<Array<[string, T]>>
  values: (options?: ListOptions) => AsyncIterable<T>
  count: (options?: ListOptions) => Promise<number>
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonSublevel = AbstractSublevel<any, any, string, unknown>

function range (o: ListOptions = {}): Record<string, unknown> {
  const r: Record<string, unknown> = {}
  if (o.prefix != null) {
    r.gte = o.prefix
    r.lt = o.prefix + '\uffff'
  }
  for (const k of ['gt', 'gte', 'lt', 'lte'] as const) if (o[k] != null) r[k] = o[k]
  if (o.limit != null) r.limit = o.limit
  if (o.reverse === true) r.reverse = true
  return r
}

export function createRepository<T> (name: string, db: JsonSublevel, codec?: Codec<T>): Repository<T> {
  const decode = (key: string, value: unknown): T => {
    if (codec == null) return value as T
    try {
      return codec.decode(value)
    } catch (err) {
      throw new CorruptRecordError(`record ${JSON.stringify(key)} in sublevel ${name} is corrupt: ${(err as Error).message}`)
    }
  }
  const repo: Repository<T> = {
    name,
    async get (key) {
      const v = await db.get(key)
      return v === undefined ? undefined : decode(key, v)
    },
    async has (key) {
      return (await db.get(key)) !== undefined
    },
    async put (key, value, options) {
      await db.put(key, value, { sync: options?.sync ?? true } as never)
    },
    async del (key, options) {
      await db.del(key, { sync: options?.sync ?? true } as never)
    },
    async list (options) {
      const out: Array<[string, T]> = []
      for await (const [k, v] of db.iterator(range(options))) out.push([k as string, decode(k as string, v)])
      return out
    },
    async * values (options) {
      for await (const [k, v] of db.iterator(range(options))) yield decode(k as string, v)
    },
    async count (options) {
      let n = 0
      for await (const _k of db.keys(range(options))) n++
      return n
    }
  }
  return repo
}
