/**
 * Test-only Ed25519 arithmetic (BigInt, affine, slow and simple) to craft signatures that ZIP-215
 * verifiers accept and strict RFC 8032 verifiers refuse: R encoded non-canonically (y = p + 1, the
 * identity) and R of mixed order (a prime-order point plus a torsion point). Never part of the product.
 */
import { createHash } from 'node:crypto'

const P = (1n << 255n) - 19n
const L = (1n << 252n) + 27742317777372353535851937790883648493n
const mod = (a: bigint, m = P): bigint => ((a % m) + m) % m
function pow (b: bigint, e: bigint): bigint {
  let r = 1n
  let x = mod(b)
  for (; e > 0n; e >>= 1n, x = (x * x) % P) if ((e & 1n) === 1n) r = (r * x) % P
  return r
}
const inv = (a: bigint): bigint => pow(a, P - 2n)
const D = mod(-121665n * inv(121666n))

type Point = readonly [bigint, bigint]
const ZERO: Point = [0n, 1n]
const BASE: Point = [15112221349535400772501151409588531511454012693041857206046113283949847762202n, 46316835694926478169428394003475163141307993866256225615783033603165251855960n]
/** The point of order 2. */
export const ORDER_TWO: Point = [0n, P - 1n]

function add (a: Point, b: Point): Point {
  const [x1, y1] = a
  const [x2, y2] = b
  const t = mod(D * x1 * x2 % P * y1 * y2)
  return [mod((x1 * y2 + y1 * x2) * inv(1n + t)), mod((y1 * y2 + x1 * x2) * inv(mod(1n - t)))]
}

function mul (k: bigint, p: Point): Point {
  let r = ZERO
  let q = p
  for (; k > 0n; k >>= 1n, q = add(q, q)) if ((k & 1n) === 1n) r = add(r, q)
  return r
}

const le = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn)
  return out
}
const fromLe = (b: Uint8Array): bigint => b.reduce((acc, v, i) => acc + (BigInt(v) << BigInt(8 * i)), 0n)
const encode = ([x, y]: Point): Uint8Array => le(y | ((x & 1n) << 255n))

function scalarOf (seed: Uint8Array): { a: bigint, prefix: Uint8Array } {
  const h = createHash('sha512').update(seed).digest()
  const s = new Uint8Array(h.subarray(0, 32))
  s[0] &= 248
  s[31] &= 127
  s[31] |= 64
  return { a: fromLe(s), prefix: new Uint8Array(h.subarray(32)) }
}

/** `hashedR`: the R bytes hashed into the challenge (noble hashes R re-encoded canonically). */
function sign (seed: Uint8Array, message: Uint8Array, rScalar: bigint, rBytes: Uint8Array, hashedR = rBytes): Uint8Array {
  const { a } = scalarOf(seed)
  const A = encode(mul(a, BASE))
  const h = mod(fromLe(createHash('sha512').update(hashedR).update(A).update(message).digest()), L)
  return new Uint8Array([...rBytes, ...le(mod(rScalar + h * a, L))])
}

/** A signature whose R is the identity encoded as y = p + 1 (non-canonical); S = h·a. */
export function signNonCanonicalR (seed: Uint8Array, message: Uint8Array): Uint8Array {
  return sign(seed, message, 0n, le(P + 1n), encode(ZERO))
}

/** A signature whose R = r·B + T, T of order 2: valid under the cofactored equation only. */
export function signMixedOrderR (seed: Uint8Array, message: Uint8Array): Uint8Array {
  const r = 1234567890123456789n
  return sign(seed, message, r, encode(add(mul(r, BASE), ORDER_TWO)))
}

/** An honest RFC 8032 signature with a chosen nonce (a control for the two above). */
export function signPlain (seed: Uint8Array, message: Uint8Array): Uint8Array {
  const r = 987654321n
  return sign(seed, message, r, encode(mul(r, BASE)))
}
