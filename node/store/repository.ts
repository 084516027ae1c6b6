/**
 * The typed repository interface every record type is stored through, plus the rules that every
 * implementation shares (key validation, key order, range resolution, decoding), so the LevelDB and
 * in-memory implementations behave identically (see the conformance suite).
 *
 * Keys are well-formed, non-empty strings ordered by Unicode code point, which is exactly LevelDB's
 * byte order of their UTF-8 encoding. Values are JSON; a record that does not parse or fails its codec
 * raises `CorruptRecordError`, never returns garbage.
 */
import { CorruptRecordError, InvalidStoreArgumentError } from './errors.js'

/** Validates a stored JSON value and returns it typed; throws (any error) when it is invalid. */
export interface Codec<T> {
  decode: (value: unknown) => T
}

export interface PutOptions {
  /** Flush to disk before resolving. Default `true`: security-relevant writes must survive a crash. */
  sync?: boolean
}

export interface ListOptions {
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  /** Only keys starting with this string (combined with the bounds above). */
  prefix?: string
  /** At most this many entries (a non-negative integer). */
  limit?: number
  /** Descending key order. */
  reverse?: boolean
}

export interface Repository<T> {
  /** The sublevel name, as used in errors. */
  readonly name: string
  get: (key: string) => Promise<T | undefined>
  getMany: (keys: readonly string[]) => Promise<Array<T | undefined>>
  has: (key: string) => Promise<boolean>
  put: (key: string, value: T, options?: PutOptions) => Promise<void>
  del: (key: string, options?: PutOptions) => Promise<void>
  list: (options?: ListOptions) => Promise<Array<[string, T]>>
  entries: (options?: ListOptions) => AsyncIterableIterator<[string, T]>
  values: (options?: ListOptions) => AsyncIterableIterator<T>
  keys: (options?: ListOptions) => AsyncIterableIterator<string>
  count: (options?: ListOptions) => Promise<number>
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** True when `s` has no lone surrogate (UTF-8 would silently replace it, merging distinct keys). */
export function isWellFormed (s: string): boolean {
  return !LONE_SURROGATE.test(s)
}

/** Throws unless `key` is a non-empty, well-formed (no lone surrogates) string. */
export function assertKey (sublevel: string, key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidStoreArgumentError(`sublevel ${sublevel}: key must be a non-empty string`)
  }
  if (!isWellFormed(key)) {
    throw new InvalidStoreArgumentError(`sublevel ${sublevel}: key ${JSON.stringify(key)} is not well-formed Unicode`)
  }
}

/** Serialises a value for storage; refuses values JSON cannot round-trip to something. */
export function encodeValue (sublevel: string, key: string, value: unknown): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (err) {
    throw new InvalidStoreArgumentError(`sublevel ${sublevel}: value for key ${JSON.stringify(key)} is not JSON-serialisable: ${(err as Error).message}`)
  }
  if (text === undefined) {
    throw new InvalidStoreArgumentError(`sublevel ${sublevel}: value for key ${JSON.stringify(key)} is not JSON-serialisable`)
  }
  return text
}

/** Parses and validates a stored value; any failure is a `CorruptRecordError`. */
export function decodeValue<T> (sublevel: string, key: string, text: string, codec?: Codec<T>): T {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new CorruptRecordError(sublevel, key, 'not valid JSON', { cause: err })
  }
  if (codec === undefined) return parsed as T
  try {
    return codec.decode(parsed)
  } catch (err) {
    throw new CorruptRecordError(sublevel, key, `fails validation: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
}

/** Code point order (= UTF-8 byte order, LevelDB's order) of two well-formed strings. */
export function compareKeys (a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (0xD800-0xDFFF) encode code points above every BMP unit; lift them above 0xFFFF.
    const cx = x >= 0xd800 && x <= 0xdfff ? x + 0x10000 : x
    const cy = y >= 0xd800 && y <= 0xdfff ? y + 0x10000 : y
    return cx - cy
  }
  return a.length - b.length
}

export interface Bound { key: string, inclusive: boolean }
export interface ResolvedRange { lower?: Bound, upper?: Bound, limit?: number, reverse: boolean, empty: boolean }

/** The smallest string greater than every string that starts with `prefix`, or undefined if none. */
export function prefixUpperBound (prefix: string): string | undefined {
  const points = Array.from(prefix, c => c.codePointAt(0) as number)
  while (points.length > 0) {
    const last = points.pop() as number
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1
      return String.fromCodePoint(...points, next)
    }
  }
  return undefined
}

function tighterLower (a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  const c = compareKeys(a.key, b.key)
  if (c !== 0) return c > 0 ? a : b
  return a.inclusive ? b : a
}

function tighterUpper (a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  const c = compareKeys(a.key, b.key)
  if (c !== 0) return c < 0 ? a : b
  return a.inclusive ? b : a
}

/** Turns list options into one lower and one upper bound (the intersection of everything given). */
export function resolveRange (sublevel: string, options: ListOptions = {}): ResolvedRange {
  const { limit } = options
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new InvalidStoreArgumentError(`sublevel ${sublevel}: limit must be a non-negative integer, got ${String(limit)}`)
  }
  for (const k of ['gt', 'gte', 'lt', 'lte', 'prefix'] as const) {
    const v = options[k]
    if (v !== undefined && (typeof v !== 'string' || !isWellFormed(v))) {
      throw new InvalidStoreArgumentError(`sublevel ${sublevel}: ${k} must be a well-formed string`)
    }
  }
  let lower = tighterLower(
    options.gt !== undefined ? { key: options.gt, inclusive: false } : undefined,
    options.gte !== undefined ? { key: options.gte, inclusive: true } : undefined)
  let upper = tighterUpper(
    options.lt !== undefined ? { key: options.lt, inclusive: false } : undefined,
    options.lte !== undefined ? { key: options.lte, inclusive: true } : undefined)
  if (options.prefix !== undefined && options.prefix !== '') {
    lower = tighterLower(lower, { key: options.prefix, inclusive: true })
    const end = prefixUpperBound(options.prefix)
    if (end !== undefined) upper = tighterUpper(upper, { key: end, inclusive: false })
  }
  let empty = limit === 0
  if (lower !== undefined && upper !== undefined) {
    const c = compareKeys(lower.key, upper.key)
    if (c > 0 || (c === 0 && !(lower.inclusive && upper.inclusive))) empty = true
  }
  return { lower, upper, limit, reverse: options.reverse === true, empty }
}

/** True when `key` lies inside the resolved bounds. */
export function inRange (range: ResolvedRange, key: string): boolean {
  if (range.lower !== undefined) {
    const c = compareKeys(key, range.lower.key)
    if (c < 0 || (c === 0 && !range.lower.inclusive)) return false
  }
  if (range.upper !== undefined) {
    const c = compareKeys(key, range.upper.key)
    if (c > 0 || (c === 0 && !range.upper.inclusive)) return false
  }
  return true
}
