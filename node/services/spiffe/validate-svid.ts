/**
 * X509-SVID validation against ONE partner's trust bundle (SPIFFE X509-SVID spec, section 5): leaf
 * first, path through the presented intermediates to a root of that bundle, one URI SAN holding a
 * SPIFFE ID of the bundle's trust domain and equal to the enrolled ID, leaf rules (not a CA,
 * digitalSignature, no keyCertSign/cRLSign), every certificate valid at `now`. Pure: no I/O, the time
 * is given. Anything it cannot decide is a failure.
 */
import { fail, ok, type Result } from '../../../identity/result.js'
import { bytesEqual, parseCertificate, type CertificateFields } from './certificate-fields.js'
import { splitDerSequences } from './der.js'
import { parseSpiffeId, parseTrustDomain } from './spiffe-id.js'

export const SvidErrorCode = {
  UNKNOWN_ISSUER: 'SVID_UNKNOWN_ISSUER',
  WRONG_TRUST_DOMAIN: 'SVID_WRONG_TRUST_DOMAIN',
  BAD_URI_SAN: 'SVID_BAD_URI_SAN',
  LEAF_IS_CA: 'SVID_LEAF_IS_CA',
  BAD_KEY_USAGE: 'SVID_BAD_KEY_USAGE',
  EXPIRED: 'SVID_EXPIRED',
  NOT_YET_VALID: 'SVID_NOT_YET_VALID',
  ID_MISMATCH: 'SVID_ID_MISMATCH',
  MALFORMED: 'SVID_MALFORMED'
} as const

/** Longest accepted chain (leaf + intermediates); SPIRE issues leaf plus at most a few. */
export const MAX_SVID_CHAIN = 8
/** Most certificates accepted in one trust bundle. */
export const MAX_BUNDLE_CERTS = 64

export interface ValidateSvidOptions {
  /** Trust domain the bundle belongs to (the partner's, as enrolled). */
  readonly trustDomain: string
  /** The SPIFFE ID enrolled for this partner node; when given the SVID must carry exactly it. */
  readonly expectedSpiffeId?: string
  /** Milliseconds since the epoch (or a Date). */
  readonly now: number | Date
}

export interface ValidatedSvid {
  readonly spiffeId: string
  readonly trustDomain: string
  /** Earliest notAfter along the verified path, ms since the epoch. */
  readonly notAfter: number
  /** Lower-case hex SHA-256 of the leaf DER, what an SVID binding names. */
  readonly leafCertSha256: string
}

function toList (input: Uint8Array | readonly Uint8Array[], what: string, max: number): Result<Uint8Array[]> {
  let list: Uint8Array[]
  try {
    list = input instanceof Uint8Array ? splitDerSequences(input) : [...input]
  } catch (err) {
    return fail(SvidErrorCode.MALFORMED, `${what} is not concatenated DER: ${(err as Error).message}`)
  }
  if (list.length === 0) return fail(SvidErrorCode.MALFORMED, `${what} is empty`)
  if (list.length > max) return fail(SvidErrorCode.MALFORMED, `${what} has ${list.length} certificates, limit ${max}`)
  return ok(list)
}

function parseAll (ders: Uint8Array[], what: string): Result<CertificateFields[]> {
  const out: CertificateFields[] = []
  for (let i = 0; i < ders.length; i++) {
    try {
      out.push(parseCertificate(ders[i]))
    } catch (err) {
      return fail(SvidErrorCode.MALFORMED, `${what} certificate ${i} does not parse: ${(err as Error).message}`, { link: i })
    }
  }
  return ok(out)
}

function checkValidity (cert: CertificateFields, now: number, what: string): Result<true> {
  if (now < cert.notBefore) return fail(SvidErrorCode.NOT_YET_VALID, `${what} is not valid before ${new Date(cert.notBefore).toISOString()}`)
  if (now > cert.notAfter) return fail(SvidErrorCode.EXPIRED, `${what} expired at ${new Date(cert.notAfter).toISOString()}`)
  return ok(true)
}

function issued (child: CertificateFields, parent: CertificateFields): boolean {
  if (!bytesEqual(child.issuer, parent.subject)) return false
  try {
    return child.x509.verify(parent.x509.publicKey)
  } catch {
    return false
  }
}

/** Validate an X509-SVID chain (leaf first) against one trust domain's bundle. */
export function validateX509Svid (
  chainDer: Uint8Array | readonly Uint8Array[],
  bundleDer: Uint8Array | readonly Uint8Array[],
  options: ValidateSvidOptions
): Result<ValidatedSvid> {
  const now = options.now instanceof Date ? options.now.getTime() : options.now
  if (!Number.isFinite(now)) return fail(SvidErrorCode.MALFORMED, 'validation time is not a finite number')
  const td = parseTrustDomain(options.trustDomain)
  if (!td.ok) return fail(SvidErrorCode.WRONG_TRUST_DOMAIN, `configured bundle trust domain is invalid: ${td.error.message}`)
  const chainList = toList(chainDer, 'SVID chain', MAX_SVID_CHAIN)
  if (!chainList.ok) return chainList
  const bundleList = toList(bundleDer, 'trust bundle', MAX_BUNDLE_CERTS)
  if (!bundleList.ok) return bundleList
  const chain = parseAll(chainList.value, 'SVID chain')
  if (!chain.ok) return chain
  const roots = parseAll(bundleList.value, 'trust bundle')
  if (!roots.ok) return roots
  const [leaf, ...intermediates] = chain.value

  // leaf identity
  if (leaf.sanExtensions > 1) return fail(SvidErrorCode.MALFORMED, 'leaf has more than one subjectAltName extension')
  if (leaf.uris.length !== 1) return fail(SvidErrorCode.BAD_URI_SAN, `leaf must have exactly one URI SAN, has ${leaf.uris.length}`)
  const id = parseSpiffeId(leaf.uris[0])
  if (!id.ok) return fail(SvidErrorCode.BAD_URI_SAN, `leaf URI SAN is not a SPIFFE ID: ${id.error.message}`)
  if (id.value.path === '') return fail(SvidErrorCode.BAD_URI_SAN, `leaf URI SAN ${id.value.id} has no path (trust domain IDs are not workload IDs)`)

  // leaf rules
  if (leaf.isCa) return fail(SvidErrorCode.LEAF_IS_CA, `leaf ${id.value.id} has basicConstraints cA=true`)
  if (leaf.keyUsage == null) return fail(SvidErrorCode.BAD_KEY_USAGE, 'leaf has no keyUsage extension')
  if (!leaf.keyUsage.digitalSignature) return fail(SvidErrorCode.BAD_KEY_USAGE, 'leaf keyUsage lacks digitalSignature')
  if (leaf.keyUsage.keyCertSign || leaf.keyUsage.cRLSign) return fail(SvidErrorCode.BAD_KEY_USAGE, 'leaf keyUsage has keyCertSign or cRLSign')
  if (leaf.unhandledCritical.length > 0) return fail(SvidErrorCode.MALFORMED, `leaf has unsupported critical extensions ${leaf.unhandledCritical.join(', ')}`)

  // identity against what was enrolled
  if (id.value.trustDomain !== td.value) {
    return fail(SvidErrorCode.WRONG_TRUST_DOMAIN, `SVID ${id.value.id} is in trust domain ${id.value.trustDomain}, the bundle is for ${td.value}`)
  }
  if (options.expectedSpiffeId !== undefined && id.value.id !== options.expectedSpiffeId) {
    return fail(SvidErrorCode.ID_MISMATCH, `SVID is ${id.value.id}, enrolled ID is ${options.expectedSpiffeId}`)
  }

  const leafTime = checkValidity(leaf, now, `leaf ${id.value.id}`)
  if (!leafTime.ok) return leafTime

  // path: leaf -> presented intermediates (each used once) -> a root of this bundle only
  let current = leaf
  let notAfter = leaf.notAfter
  const unused = [...intermediates]
  for (let depth = 0; depth <= intermediates.length; depth++) {
    const root = roots.value.find(r => issued(current, r))
    if (root != null) {
      const rootTime = checkValidity(root, now, 'bundle root')
      if (!rootTime.ok) return { ok: false, error: { ...rootTime.error, link: depth + 1 } }
      notAfter = Math.min(notAfter, root.notAfter)
      return ok({ spiffeId: id.value.id, trustDomain: td.value, notAfter, leafCertSha256: leaf.sha256 })
    }
    const k = unused.findIndex(c => issued(current, c))
    if (k === -1) break
    const next = unused.splice(k, 1)[0]
    const what = `intermediate ${depth + 1}`
    if (!next.isCa) return fail(SvidErrorCode.UNKNOWN_ISSUER, `${what} is not a CA (basicConstraints cA=false)`, { link: depth + 1 })
    if (next.keyUsage != null && !next.keyUsage.keyCertSign) return fail(SvidErrorCode.UNKNOWN_ISSUER, `${what} keyUsage lacks keyCertSign`, { link: depth + 1 })
    if (next.unhandledCritical.length > 0) return fail(SvidErrorCode.MALFORMED, `${what} has unsupported critical extensions ${next.unhandledCritical.join(', ')}`, { link: depth + 1 })
    const t = checkValidity(next, now, what)
    if (!t.ok) return { ok: false, error: { ...t.error, link: depth + 1 } }
    notAfter = Math.min(notAfter, next.notAfter)
    current = next
  }
  return fail(SvidErrorCode.UNKNOWN_ISSUER, `no path from ${id.value.id} to a root of the ${td.value} bundle`)
}
