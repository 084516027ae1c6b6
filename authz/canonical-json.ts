/**
 * Canonical JSON (RFC 8785-like): object keys sorted by UTF-16 code units, no whitespace, numbers as
 * ECMAScript prints them, `undefined` members dropped. Two equal values give the same bytes however
 * they were written, which is what a digest of a policy needs.
 */

export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError'
  readonly code = 'CANONICAL_JSON_ERROR'
}

export function canonicalJson (value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean': return value ? 'true' : 'false'
    case 'string': return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`cannot encode ${value}`)
      return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`
      const obj = value as Record<string, unknown>
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort()
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`
    }
    default:
      throw new CanonicalJsonError(`cannot encode a ${typeof value}`)
  }
}
