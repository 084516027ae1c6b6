/**
 * SPIFFE ID parsing per the SPIFFE ID specification: `spiffe://<trust-domain><path>`, trust domain
 * of lowercase letters, digits, `.`, `-`, `_`; path segments of letters, digits, `.`, `-`, `_`, none
 * empty, `.` or `..`. The character sets alone exclude query, fragment, port, userinfo and
 * percent-encoding, so a string either parses to exactly one ID or is refused.
 */
import { fail, ok, type Result } from '../../../identity/result.js'

export const SPIFFE_SCHEME = 'spiffe://'
/** URI length limit of the SPIFFE ID spec. */
export const MAX_SPIFFE_ID_BYTES = 2048
/** Trust domain length limit (a DNS name). */
export const MAX_TRUST_DOMAIN_CHARS = 255

export interface SpiffeId {
  /** The canonical string, `spiffe://td/path`. */
  readonly id: string
  readonly trustDomain: string
  /** Empty or `/seg/seg`. */
  readonly path: string
}

const TRUST_DOMAIN = /^[a-z0-9._-]+$/
const SEGMENT = /^[a-zA-Z0-9._-]+$/

/** Check a bare trust domain name (no scheme). */
export function parseTrustDomain (text: unknown): Result<string> {
  if (typeof text !== 'string' || text.length === 0) return fail('BAD_TRUST_DOMAIN', 'trust domain is empty')
  if (text.length > MAX_TRUST_DOMAIN_CHARS) return fail('BAD_TRUST_DOMAIN', `trust domain is longer than ${MAX_TRUST_DOMAIN_CHARS} characters`)
  if (!TRUST_DOMAIN.test(text)) return fail('BAD_TRUST_DOMAIN', `trust domain ${JSON.stringify(text)} has characters outside [a-z0-9._-]`)
  return ok(text)
}

/** Parse a SPIFFE ID strictly. The failure code is `BAD_SPIFFE_ID`. */
export function parseSpiffeId (text: unknown): Result<SpiffeId> {
  if (typeof text !== 'string') return fail('BAD_SPIFFE_ID', 'SPIFFE ID must be a string')
  if (Buffer.byteLength(text, 'utf8') > MAX_SPIFFE_ID_BYTES) return fail('BAD_SPIFFE_ID', `SPIFFE ID is longer than ${MAX_SPIFFE_ID_BYTES} bytes`)
  if (!text.startsWith(SPIFFE_SCHEME)) return fail('BAD_SPIFFE_ID', `SPIFFE ID ${JSON.stringify(text.slice(0, 64))} does not start with ${SPIFFE_SCHEME}`)
  const rest = text.slice(SPIFFE_SCHEME.length)
  const slash = rest.indexOf('/')
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash)
  const path = slash === -1 ? '' : rest.slice(slash)
  const td = parseTrustDomain(trustDomain)
  if (!td.ok) return fail('BAD_SPIFFE_ID', `SPIFFE ID ${JSON.stringify(text)}: ${td.error.message}`)
  if (path !== '') {
    const segments = path.slice(1).split('/')
    for (const seg of segments) {
      if (seg === '') return fail('BAD_SPIFFE_ID', `SPIFFE ID ${JSON.stringify(text)} has an empty path segment`)
      if (seg === '.' || seg === '..') return fail('BAD_SPIFFE_ID', `SPIFFE ID ${JSON.stringify(text)} has a dot path segment`)
      if (!SEGMENT.test(seg)) return fail('BAD_SPIFFE_ID', `SPIFFE ID ${JSON.stringify(text)} has a path segment with characters outside [a-zA-Z0-9._-]`)
    }
  }
  return ok({ id: text, trustDomain, path })
}
