/**
 * Tiny structural validators for wire messages. Each returns a Result so a bad field is reported by
 * name (`hello.orgName must be a string of at most 128 characters`) with code MALFORMED_MESSAGE.
 */
import { fail, ok, type Result } from '../identity/result.js'

export type Check = (value: unknown, path: string) => string | undefined

export const str = (max: number, opts: { optional?: boolean, pattern?: RegExp } = {}): Check => (v, p) => {
  if (v === undefined && opts.optional === true) return undefined
  if (typeof v !== 'string' || v.length > max) return `${p} must be a string of at most ${max} characters`
  if (opts.pattern != null && !opts.pattern.test(v)) return `${p} has an invalid format`
  return undefined
}

export const int = (min: number, max: number, opts: { optional?: boolean } = {}): Check => (v, p) => {
  if (v === undefined && opts.optional === true) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return `${p} must be an integer from ${min} to ${max}`
  return undefined
}

export const bool = (opts: { optional?: boolean } = {}): Check => (v, p) => {
  if (v === undefined && opts.optional === true) return undefined
  return typeof v === 'boolean' ? undefined : `${p} must be a boolean`
}

export const literal = (...values: unknown[]): Check => (v, p) => values.includes(v) ? undefined : `${p} must be one of ${values.map(x => JSON.stringify(x)).join(', ')}`

export const arrayOf = (item: Check, maxItems: number, opts: { optional?: boolean } = {}): Check => (v, p) => {
  if (v === undefined && opts.optional === true) return undefined
  if (!Array.isArray(v) || v.length > maxItems) return `${p} must be an array of at most ${maxItems} items`
  for (let i = 0; i < v.length; i++) {
    const e = item(v[i], `${p}[${i}]`)
    if (e != null) return e
  }
  return undefined
}

export const recordOf = (item: Check, maxKeys: number, opts: { optional?: boolean } = {}): Check => (v, p) => {
  if (v === undefined && opts.optional === true) return undefined
  if (v == null || typeof v !== 'object' || Array.isArray(v)) return `${p} must be an object`
  const keys = Object.keys(v)
  if (keys.length > maxKeys) return `${p} has more than ${maxKeys} entries`
  for (const k of keys) {
    const e = item((v as Record<string, unknown>)[k], `${p}.${k}`)
    if (e != null) return e
  }
  return undefined
}

export const anyJson: Check = () => undefined

export const object = (shape: Record<string, Check>, opts: { optional?: boolean, allowExtra?: boolean } = {}): Check => (v, p) => {
  if (v === undefined && opts.optional === true) return undefined
  if (v == null || typeof v !== 'object' || Array.isArray(v)) return `${p} must be an object`
  for (const [k, check] of Object.entries(shape)) {
    const e = check((v as Record<string, unknown>)[k], `${p}.${k}`)
    if (e != null) return e
  }
  if (opts.allowExtra !== true) {
    for (const k of Object.keys(v)) if (!Object.hasOwn(shape, k)) return `${p}.${k} is not a known field`
  }
  return undefined
}

/** Turn a Check into a Schema for the codec. */
export function schemaOf<T> (name: string, check: Check): (value: unknown) => Result<T> {
  return (value) => {
    const e = check(value, name)
    return e == null ? ok(value as T) : fail('MALFORMED_MESSAGE', e)
  }
}
