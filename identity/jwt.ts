/**
 * Strict compact JWS/JWT handling shared by credentials, delegations, receipts and signed records.
 * Decoding caps size and nesting before parsing, accepts only canonical base64url, and only
 * `alg: EdDSA` (the `Ed25519` alias only when a legacy flag is set). Signing goes through a Signer.
 */
import { fail, ok, type Result } from './result.js'
import { parseDidKey } from './did-key.js'
import { verifyEd25519 } from './native-ed25519.js'
import type { Signer } from './signer.js'

export const JwtErrorCode = {
  MALFORMED_TOKEN: 'MALFORMED_TOKEN',
  TOKEN_TOO_LARGE: 'TOKEN_TOO_LARGE',
  UNSUPPORTED_ALG: 'UNSUPPORTED_ALG',
  BAD_SIGNATURE: 'BAD_SIGNATURE'
} as const

/** Default cap on a single token; chains are capped separately by their own limits. */
export const MAX_JWT_BYTES = 16 * 1024
/** Deepest JSON nesting accepted in a header or payload. */
export const MAX_JSON_DEPTH = 16

export type JsonObject = Record<string, unknown>

export interface DecodedJwt {
  readonly header: JsonObject
  readonly payload: JsonObject
  /** ASCII bytes of `<header>.<payload>`, the signed data. */
  readonly signingInput: Uint8Array
  readonly signature: Uint8Array
  readonly token: string
}

export interface DecodeOptions {
  maxBytes?: number
  /** Accept `alg: Ed25519` (legacy did-jwt alias). Off by default. */
  allowEd25519Alias?: boolean
}

const B64URL = /^[A-Za-z0-9_-]*$/

/** The 6-bit value of a base64url character (the alphabet was checked before). */
function b64urlValue (c: number): number {
  if (c >= 0x61) return c - 0x61 + 26 // a-z
  if (c >= 0x41) return c === 0x5f ? 63 : c - 0x41 // A-Z, _
  return c === 0x2d ? 62 : c - 0x30 + 52 // -, 0-9
}

function b64urlDecodeStrict (part: string): Buffer | undefined {
  const rest = part.length % 4
  if (!B64URL.test(part) || rest === 1) return undefined
  // reject non-canonical encodings (unused trailing bits set), so one token has exactly one
  // spelling: the last character of a 2- or 3-character group carries 4 or 2 bits that must be 0
  if (rest !== 0 && (b64urlValue(part.charCodeAt(part.length - 1)) & (rest === 2 ? 0x0f : 0x03)) !== 0) return undefined
  return Buffer.from(part, 'base64url')
}

/** Depth of nested objects/arrays in a JSON text, computed without parsing it. */
export function jsonDepth (text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) { depth++; if (depth > max) max = depth } else if (c === 0x7d || c === 0x5d) depth--
  }
  return max
}

function parseObject (bytes: Buffer, what: string): Result<JsonObject> {
  const text = bytes.toString('utf8')
  if (jsonDepth(text) > MAX_JSON_DEPTH) return fail(JwtErrorCode.MALFORMED_TOKEN, `${what} JSON is nested deeper than ${MAX_JSON_DEPTH}`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return fail(JwtErrorCode.MALFORMED_TOKEN, `${what} is not valid JSON`)
  }
  if (value == null || typeof value !== 'object' || Array.isArray(value)) return fail(JwtErrorCode.MALFORMED_TOKEN, `${what} is not a JSON object`)
  return ok(value as JsonObject)
}

/** Decode a compact JWT and check its shape and algorithm. Does not verify the signature. */
export function decodeJwt (token: unknown, options: DecodeOptions = {}): Result<DecodedJwt> {
  const maxBytes = options.maxBytes ?? MAX_JWT_BYTES
  if (typeof token !== 'string') return fail(JwtErrorCode.MALFORMED_TOKEN, 'token must be a string')
  if (token.length > maxBytes) return fail(JwtErrorCode.TOKEN_TOO_LARGE, `token is ${token.length} bytes, limit ${maxBytes}`)
  const parts = token.split('.')
  if (parts.length !== 3) return fail(JwtErrorCode.MALFORMED_TOKEN, `token must have 3 parts, has ${parts.length}`)
  const [h, p, s] = parts
  const hb = b64urlDecodeStrict(h)
  const pb = b64urlDecodeStrict(p)
  const sb = b64urlDecodeStrict(s)
  if (hb == null || pb == null || sb == null || hb.length === 0 || pb.length === 0) return fail(JwtErrorCode.MALFORMED_TOKEN, 'token part is not canonical base64url')
  const header = parseObject(hb, 'header')
  if (!header.ok) return header
  const payload = parseObject(pb, 'payload')
  if (!payload.ok) return payload
  const alg = header.value.alg
  const algOk = alg === 'EdDSA' || (alg === 'Ed25519' && options.allowEd25519Alias === true)
  if (!algOk) return fail(JwtErrorCode.UNSUPPORTED_ALG, `alg ${JSON.stringify(alg)} is not accepted (EdDSA only)`)
  if (header.value.crit !== undefined) return fail(JwtErrorCode.MALFORMED_TOKEN, 'critical header parameters are not supported')
  if (sb.length !== 64) return fail(JwtErrorCode.BAD_SIGNATURE, `Ed25519 signature must be 64 bytes, got ${sb.length}`)
  // decoded tokens are kept (chain cache, credential memory): each gets memory of its own size, not a
  // slice of Node's shared 8 KiB Buffer pool, which a kept slice would pin whole
  const n = h.length + 1 + p.length
  const signingInput = Buffer.allocUnsafeSlow(n)
  signingInput.write(token, 0, n, 'latin1')
  return ok({
    header: header.value,
    payload: payload.value,
    signingInput,
    signature: new Uint8Array(sb),
    token
  })
}

/** Verify the signature of a decoded token against a did:key (strictly parsed). */
export function verifyJwtSignature (jwt: DecodedJwt, signerDid: string): Result<true> {
  const key = parseDidKey(signerDid)
  if (!key.ok) return key
  if (!verifyEd25519(key.value, jwt.signingInput, jwt.signature)) {
    return fail(JwtErrorCode.BAD_SIGNATURE, `signature does not verify for ${signerDid}`)
  }
  return ok(true)
}

/** Sign a JWT with header `{ alg: 'EdDSA', typ }` plus extra header fields. */
export async function signJwt (payload: JsonObject, signer: Signer, header: JsonObject = {}): Promise<string> {
  const h = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT', ...header })).toString('base64url')
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url')
  const sig = await signer.sign(new Uint8Array(Buffer.from(`${h}.${p}`, 'ascii')))
  return `${h}.${p}.${Buffer.from(sig).toString('base64url')}`
}
