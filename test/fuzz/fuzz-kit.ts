/**
 * Shared pieces of the hostile-input tests: a fixed seed and bounded run counts (TRUSTMESH_LONG=1
 * multiplies them), arbitraries for garbage that looks almost right (JWT-shaped strings, mutated valid
 * bytes, deep JSON), and the one property every decoder must hold: it returns a coded failure (or a
 * value), never throws anything but its documented named error, and answers within a time budget.
 */
import fc from 'fast-check'
import { expect } from 'chai'
import type { Result } from '../../identity/result.js'

export const LONG = process.env.TRUSTMESH_LONG === '1'
export const SEED = 0x7e57
/** Run count for one property: bounded by default, 50x with TRUSTMESH_LONG=1. */
export function runs (n: number): number {
  return LONG ? n * 50 : n
}
export function params (n: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns: runs(n), endOnFailure: true }
}

/** Upper snake case, as every stable reason code is. */
export const CODE = /^[A-Z][A-Z0-9_]*$/
/** A single call on hostile input must answer well within this (ms); generous for a loaded CI box. */
export const CALL_BUDGET_MS = 250

/** Run `f`, require a Result (no throw) within the budget; returns it. */
export function expectResult<T> (what: string, f: () => Result<T>, budgetMs = CALL_BUDGET_MS): Result<T> {
  const t0 = performance.now()
  let r: Result<T>
  try {
    r = f()
  } catch (err) {
    throw new Error(`${what} threw instead of returning a coded failure: ${(err as Error)?.name}: ${(err as Error)?.message}`)
  }
  const ms = performance.now() - t0
  expect(ms, `${what} took ${ms.toFixed(1)} ms`).to.be.lessThan(budgetMs)
  expect(r, `${what} returned no Result`).to.be.an('object')
  if (!r.ok) {
    expect(r.error.code, `${what}: failure code`).to.match(CODE)
    expect(r.error.message, `${what}: failure message`).to.be.a('string').and.not.equal('')
  }
  return r
}

/** Run `f`; it may throw only `named` errors carrying an upper-snake `code`. */
export function expectNamedThrowOrValue (what: string, named: string[], f: () => unknown, budgetMs = CALL_BUDGET_MS): { threw?: Error & { code?: string }, value?: unknown } {
  const t0 = performance.now()
  let out: { threw?: Error & { code?: string }, value?: unknown }
  try {
    out = { value: f() }
  } catch (err) {
    const e = err as Error & { code?: string }
    expect(named, `${what} threw ${e?.name}: ${e?.message}`).to.include(e?.name)
    expect(e.code, `${what}: code of ${e.name}`).to.be.a('string').and.match(CODE)
    out = { threw: e }
  }
  const ms = performance.now() - t0
  expect(ms, `${what} took ${ms.toFixed(1)} ms`).to.be.lessThan(budgetMs)
  return out
}

const B64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Strings over the base64url alphabet (often valid lengths, sometimes not). */
export const b64urlish = fc.array(fc.constantFrom(...B64URL_CHARS.split('')), { maxLength: 120 }).map(a => a.join(''))

export function b64url (value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

/** JSON-ish values, including prototype-polluting keys and odd numbers. */
export const nastyJson: fc.Arbitrary<unknown> = fc.letrec(tie => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 2 ** 53 + 1, '', 'EdDSA', 'JWT', 'did:key:z', '__proto__'),
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'alg', 'iss', 'exp', 'cap', 'prf', 'v', 'ok')), tie('value'), { maxKeys: 5 })
  )
})).value

/** A JWT-shaped string: header and payload JSON (some plausible, some nasty), a signature part. */
export const jwtish: fc.Arbitrary<string> = fc.tuple(
  fc.oneof(nastyJson, fc.record({ alg: fc.constantFrom('EdDSA', 'none', 'HS256', 'Ed25519', 'ES256K'), typ: fc.constantFrom('JWT', 'jwt', undefined) }, { requiredKeys: ['alg'] })),
  nastyJson,
  fc.oneof(b64urlish, fc.uint8Array({ minLength: 64, maxLength: 64 }).map(u => Buffer.from(u).toString('base64url')))
).map(([h, p, s]) => `${b64url(h)}.${b64url(p)}.${s}`)

/** Flip, drop, duplicate or insert bytes of a valid string. */
export function mutated (valid: string): fc.Arbitrary<string> {
  return fc.tuple(fc.nat({ max: Math.max(0, valid.length - 1) }), fc.integer({ min: 0, max: 4 }), fc.string({ minLength: 1, maxLength: 8 }), fc.nat({ max: 255 })).map(([i, op, ins, bit]) => {
    switch (op) {
      case 0: return valid.slice(0, i) + String.fromCharCode(valid.charCodeAt(i) ^ (1 << (bit % 7))) + valid.slice(i + 1)
      case 1: return valid.slice(0, i) + valid.slice(i + 1)
      case 2: return valid.slice(0, i) + ins + valid.slice(i)
      case 3: return valid.slice(0, i)
      default: return valid + valid.slice(i)
    }
  })
}

/** Byte-level variant of `mutated`. */
export function mutatedBytes (valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat({ max: Math.max(0, valid.length - 1) }), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat({ max: 7 })).map(([i, op, ins, bit]) => {
    const b = Buffer.from(valid)
    switch (op) {
      case 0: b[i] ^= 1 << bit; return new Uint8Array(b)
      case 1: return new Uint8Array(Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]))
      case 2: return new Uint8Array(Buffer.concat([b.subarray(0, i), Buffer.from(ins), b.subarray(i)]))
      default: return new Uint8Array(b.subarray(0, i))
    }
  })
}

/** Deep JSON: `n` opening brackets (optionally closed), the classic parser stack bomb. */
export function deepJson (n: number, open = '[', close = ']', closed = true): string {
  return open.repeat(n) + (closed ? close.repeat(n) : '')
}

/** Hostile texts for any text decoder: deep nesting, huge strings, control bytes, lone surrogates. */
export const HOSTILE_TEXTS: Array<[string, string]> = [
  ['100,000 [', deepJson(100_000, '[', ']', false)],
  ['100,000 [ closed', deepJson(100_000)],
  ['50,000 {"a":', '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)],
  ['a 2 MiB string', JSON.stringify({ v: 1, s: 'x'.repeat(2 * 1024 * 1024) })],
  ['lone surrogates', '{"v":1,"s":"\ud800\udfff\ud800"}'],
  ['NUL and control bytes', '\u0000\u0001{"v":1}\u001b[2J'],
  ['empty', ''],
  ['just whitespace', ' \n\t '.repeat(1000)]
]
