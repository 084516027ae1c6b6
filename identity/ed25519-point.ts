/**
 * Ed25519 public key sanity: the 32 bytes must be the canonical encoding of a curve point that is
 * not of small order. node:crypto (OpenSSL) and did-jwt's noble both accept small-order keys, for
 * which a trivial signature (R = identity, S = 0) verifies for any message; refusing such keys when a
 * did:key is parsed closes that for every token type. BigInt arithmetic, run once per distinct key.
 */
const P = (1n << 255n) - 19n
const D = mod(-121665n * inv(121666n))
const SQRT_M1 = pow(2n, (P - 1n) / 4n)

function mod (a: bigint): bigint {
  const r = a % P
  return r >= 0n ? r : r + P
}

function pow (b: bigint, e: bigint): bigint {
  let r = 1n
  let x = mod(b)
  while (e > 0n) {
    if ((e & 1n) === 1n) r = (r * x) % P
    x = (x * x) % P
    e >>= 1n
  }
  return r
}

function inv (a: bigint): bigint {
  return pow(a, P - 2n)
}

export type PointCheck = 'ok' | 'not-canonical' | 'not-on-curve' | 'small-order'

/** Classify a 32-byte Ed25519 public key encoding (RFC 8032 section 5.1.3 decoding). */
export function checkEd25519PublicKey (key: Uint8Array): PointCheck {
  if (key.length !== 32) return 'not-on-curve'
  let y = 0n
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? key[i] & 0x7f : key[i])
  const sign = (key[31] & 0x80) !== 0
  if (y >= P) return 'not-canonical'
  const y2 = (y * y) % P
  const u = mod(y2 - 1n)
  const v = mod(D * y2 + 1n)
  // x = u v^3 (u v^7)^((p-5)/8), then fix up with sqrt(-1)
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n))
  const vx2 = mod(v * x * x)
  if (vx2 === mod(-u)) x = mod(x * SQRT_M1)
  else if (vx2 !== u) return 'not-on-curve'
  if (x === 0n && sign) return 'not-canonical'
  if ((x & 1n) === 1n) {
    if (!sign) x = mod(-x)
  } else if (sign) {
    x = mod(-x)
  }
  // multiply by the cofactor 8 (three doublings, complete affine addition law with a = -1)
  let px = x
  let py = y
  for (let i = 0; i < 3; i++) {
    const t = mod(D * px * px * py * py)
    const nx = mod(2n * px * py * inv(mod(1n + t)))
    const ny = mod((py * py + px * px) * inv(mod(1n - t)))
    px = nx
    py = ny
  }
  return px === 0n && py === 1n ? 'small-order' : 'ok'
}
