/**
 * The one canonical JSON (RFC 8785 JCS for the values we allow): object keys sorted by UTF-16 code
 * units, no whitespace, strings and numbers as ECMAScript JSON.stringify writes them, `undefined`
 * members of objects dropped. Values are limited to null, booleans, finite numbers, strings, arrays and
 * plain objects nested at most `maxDepth` deep; anything else (NaN, a Date, a class instance, an
 * `undefined` array element, a function) is refused with the path of the offending value, so one value
 * has exactly one encoding. Policy digests and audit entries are both built on it.
 */

export const DEFAULT_CANONICAL_MAX_DEPTH = 64

export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError'
  readonly code = 'CANONICAL_JSON_ERROR'
  /** Where the refused value sits, e.g. `value.details.list[2]`. */
  readonly path: string

  constructor (path: string, message: string) {
    super(message)
    this.path = path
  }
}

export interface CanonicalJsonOptions {
  /** Deepest nesting allowed (the top-level value is depth 0). Default DEFAULT_CANONICAL_MAX_DEPTH. */
  readonly maxDepth?: number
  /** Name of the top-level value in paths and messages. Default `value`. */
  readonly root?: string
}

/** Canonical JSON text of `value`; throws CanonicalJsonError for a value with no canonical form. */
export function canonicalJson (value: unknown, options: CanonicalJsonOptions = {}): string {
  return encode(value, 0, options.root ?? 'value', options.maxDepth ?? DEFAULT_CANONICAL_MAX_DEPTH)
}

function encode (value: unknown, depth: number, where: string, maxDepth: number): string {
  if (depth > maxDepth) throw new CanonicalJsonError(where, `${where} is nested deeper than ${maxDepth}`)
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean': return value ? 'true' : 'false'
    case 'string': return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(where, `${where} is not a finite number`)
      return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value)) return '[' + value.map((v, i) => encode(v, depth + 1, `${where}[${i}]`, maxDepth)).join(',') + ']'
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError(where, `${where} is not a plain object`)
      const obj = value as Record<string, unknown>
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort()
      return '{' + keys.map((k) => JSON.stringify(k) + ':' + encode(obj[k], depth + 1, `${where}.${k}`, maxDepth)).join(',') + '}'
    }
    default:
      throw new CanonicalJsonError(where, `${where} has a value of type ${typeof value}, which has no canonical JSON form`)
  }
}
