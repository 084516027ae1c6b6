/**
 * Trust bundle files exchanged out of band with a partner: PEM (one or more CERTIFICATE blocks),
 * concatenated DER, or a SPIFFE bundle JWKS whose `x509-svid` keys carry `x5c`. A bundle belongs to
 * exactly one trust domain; nothing here merges bundles.
 */
import { fail, ok, type Result } from '../../../identity/result.js'
import { parseCertificate } from './certificate-fields.js'
import { splitDerSequences } from './der.js'
import { parseTrustDomain } from './spiffe-id.js'

export const BundleErrorCode = {
  MALFORMED: 'BUNDLE_MALFORMED',
  EMPTY: 'BUNDLE_EMPTY',
  NOT_CA: 'BUNDLE_NOT_CA'
} as const

/** Largest bundle file read. */
export const MAX_BUNDLE_FILE_BYTES = 1024 * 1024

export interface TrustBundle {
  readonly trustDomain: string
  /** DER root certificates. */
  readonly certs: readonly Uint8Array[]
}

const PEM_BEGIN = '-----BEGIN '
const PEM_LABEL = /^[A-Z0-9 ]+$/

/**
 * PEM blocks found by a linear scan: a backtracking regex over a 1 MiB file of unterminated BEGIN
 * lines took seconds. Any text outside complete blocks that contains `-----` is refused.
 */
function fromPem (text: string): Result<Uint8Array[]> {
  const out: Uint8Array[] = []
  let pos = 0
  for (;;) {
    const begin = text.indexOf(PEM_BEGIN, pos)
    if (begin < 0) break
    if (text.slice(pos, begin).includes('-----')) return fail(BundleErrorCode.MALFORMED, 'PEM has an unterminated or mismatched block')
    const labelEnd = text.indexOf('-----', begin + PEM_BEGIN.length)
    const label = labelEnd < 0 ? '' : text.slice(begin + PEM_BEGIN.length, labelEnd)
    if (!PEM_LABEL.test(label)) return fail(BundleErrorCode.MALFORMED, 'PEM has an unterminated or mismatched block')
    const endMarker = `-----END ${label}-----`
    const bodyStart = labelEnd + 5
    const end = text.indexOf(endMarker, bodyStart)
    const body = end < 0 ? '' : text.slice(bodyStart, end)
    if (end < 0 || body.includes('-----')) return fail(BundleErrorCode.MALFORMED, 'PEM has an unterminated or mismatched block')
    if (label !== 'CERTIFICATE') return fail(BundleErrorCode.MALFORMED, `PEM block ${label} is not a CERTIFICATE`)
    const b64 = body.replace(/\s+/g, '')
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return fail(BundleErrorCode.MALFORMED, 'PEM body is not base64')
    out.push(new Uint8Array(Buffer.from(b64, 'base64')))
    pos = end + endMarker.length
  }
  if (text.slice(pos).includes('-----')) return fail(BundleErrorCode.MALFORMED, 'PEM has an unterminated or mismatched block')
  return ok(out)
}

function fromJwks (text: string): Result<Uint8Array[]> {
  let doc: unknown
  try { doc = JSON.parse(text) } catch { return fail(BundleErrorCode.MALFORMED, 'bundle is not valid JSON') }
  const keys = (doc as { keys?: unknown })?.keys
  if (!Array.isArray(keys)) return fail(BundleErrorCode.MALFORMED, 'JWKS bundle has no keys array')
  const out: Uint8Array[] = []
  for (const [i, key] of keys.entries()) {
    const k = key as { use?: unknown, x5c?: unknown }
    if (k?.use !== 'x509-svid') continue
    if (!Array.isArray(k.x5c) || k.x5c.length !== 1 || typeof k.x5c[0] !== 'string') {
      return fail(BundleErrorCode.MALFORMED, `JWKS key ${i} (x509-svid) must have exactly one x5c certificate`)
    }
    out.push(new Uint8Array(Buffer.from(k.x5c[0], 'base64')))
  }
  return ok(out)
}

/** Parse a bundle file into DER root certificates; each must parse and be a CA. */
export function parseBundleFile (input: string | Uint8Array): Result<Uint8Array[]> {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length
  if (size > MAX_BUNDLE_FILE_BYTES) return fail(BundleErrorCode.MALFORMED, `bundle file is ${size} bytes, limit ${MAX_BUNDLE_FILE_BYTES}`)
  let certs: Result<Uint8Array[]>
  if (typeof input !== 'string' && input.length > 0 && input[0] === 0x30) {
    try { certs = ok(splitDerSequences(input)) } catch (err) { certs = fail(BundleErrorCode.MALFORMED, `DER bundle: ${(err as Error).message}`) }
  } else {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8')
    certs = text.trimStart().startsWith('{') ? fromJwks(text) : fromPem(text)
  }
  if (!certs.ok) return certs
  if (certs.value.length === 0) return fail(BundleErrorCode.EMPTY, 'bundle holds no certificates')
  for (const [i, der] of certs.value.entries()) {
    try {
      if (!parseCertificate(der).isCa) return fail(BundleErrorCode.NOT_CA, `bundle certificate ${i} is not a CA`, { link: i })
    } catch (err) {
      return fail(BundleErrorCode.MALFORMED, `bundle certificate ${i} does not parse: ${(err as Error).message}`, { link: i })
    }
  }
  return ok(certs.value)
}

/** A bundle for one trust domain, from a file's contents. */
export function createTrustBundle (trustDomain: string, input: string | Uint8Array): Result<TrustBundle> {
  const td = parseTrustDomain(trustDomain)
  if (!td.ok) return fail(BundleErrorCode.MALFORMED, td.error.message)
  const certs = parseBundleFile(input)
  if (!certs.ok) return certs
  return ok({ trustDomain: td.value, certs: certs.value })
}

/** PEM text of DER certificates (for writing a bundle file). */
export function certificatesToPem (certs: readonly Uint8Array[]): string {
  return certs.map(der => {
    const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')
    return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`
  }).join('')
}
