/**
 * The certificate fields SVID validation decides on, read from DER with the strict reader in der.ts:
 * issuer and subject names (raw DER, compared byte for byte), validity, basicConstraints, keyUsage,
 * URI SANs and the list of critical extensions. Signatures are checked with Node's X509Certificate
 * (OpenSSL); the parsing here is ours so every decision rests on fields we read ourselves.
 */
import { X509Certificate, createHash } from 'node:crypto'
import { children, DerError, readTlv, tlvBytes, tlvContent, type Tlv } from './der.js'

export interface CertificateFields {
  readonly der: Uint8Array
  /** Lower-case hex SHA-256 of the DER. */
  readonly sha256: string
  readonly issuer: Uint8Array
  readonly subject: Uint8Array
  /** Milliseconds since the epoch. */
  readonly notBefore: number
  readonly notAfter: number
  /** basicConstraints cA; false when the extension is absent. */
  readonly isCa: boolean
  /** keyUsage bits (bit 0 = digitalSignature, as in RFC 5280), undefined when absent. */
  readonly keyUsage?: KeyUsageBits
  /** Number of SubjectAltName extensions (more than one is malformed). */
  readonly sanExtensions: number
  /** Every URI in the SubjectAltName, in order. */
  readonly uris: readonly string[]
  /** Dotted OIDs of critical extensions we do not process. */
  readonly unhandledCritical: readonly string[]
  /** OpenSSL's view, for signature checks. */
  readonly x509: X509Certificate
}

export interface KeyUsageBits {
  readonly digitalSignature: boolean
  readonly keyCertSign: boolean
  readonly cRLSign: boolean
}

const OID_BASIC_CONSTRAINTS = '2.5.29.19'
const OID_KEY_USAGE = '2.5.29.15'
const OID_SUBJECT_ALT_NAME = '2.5.29.17'
const OID_EXT_KEY_USAGE = '2.5.29.37'
const HANDLED = new Set([OID_BASIC_CONSTRAINTS, OID_KEY_USAGE, OID_SUBJECT_ALT_NAME, OID_EXT_KEY_USAGE])

function oidToString (bytes: Uint8Array): string {
  if (bytes.length === 0) throw new DerError('empty OID')
  const parts: number[] = []
  let value = 0
  for (let i = 0; i < bytes.length; i++) {
    value = value * 128 + (bytes[i] & 0x7f)
    if ((bytes[i] & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2
        parts.push(first, value - first * 40)
      } else parts.push(value)
      value = 0
    } else if (i === bytes.length - 1) throw new DerError('truncated OID')
  }
  return parts.join('.')
}

function parseTime (buf: Uint8Array, tlv: Tlv): number {
  const text = Buffer.from(tlvContent(buf, tlv)).toString('latin1')
  let m: RegExpExecArray | null
  let year: number
  if (tlv.tag === 0x17) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    if (m == null) throw new DerError(`bad UTCTime ${JSON.stringify(text)}`)
    const yy = Number(m[1])
    year = yy >= 50 ? 1900 + yy : 2000 + yy
  } else if (tlv.tag === 0x18) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    if (m == null) throw new DerError(`bad GeneralizedTime ${JSON.stringify(text)}`)
    year = Number(m[1])
  } else throw new DerError(`validity time has tag 0x${tlv.tag.toString(16)}`)
  const [mo, d, h, mi, s] = [m[2], m[3], m[4], m[5], m[6]].map(Number)
  const ms = Date.UTC(year, mo - 1, d, h, mi, s)
  const back = new Date(ms)
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw new DerError(`impossible date ${JSON.stringify(text)}`)
  return ms
}

function expectTag (tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (tlv == null || tlv.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}`)
  return tlv
}

function parseKeyUsage (buf: Uint8Array, value: Tlv): KeyUsageBits {
  const bits = expectTag(readTlv(buf, value.start, value.end), 0x03, 'keyUsage')
  const content = tlvContent(buf, bits)
  if (content.length < 1 || content[0] > 7) throw new DerError('keyUsage BIT STRING is malformed')
  const b0 = content.length > 1 ? content[1] : 0
  return { digitalSignature: (b0 & 0x80) !== 0, keyCertSign: (b0 & 0x04) !== 0, cRLSign: (b0 & 0x02) !== 0 }
}

function parseBasicConstraintsCa (buf: Uint8Array, value: Tlv): boolean {
  const seq = expectTag(readTlv(buf, value.start, value.end), 0x30, 'basicConstraints')
  const items = children(buf, seq)
  if (items.length > 0 && items[0].tag === 0x01) {
    const b = tlvContent(buf, items[0])
    if (b.length !== 1 || (b[0] !== 0 && b[0] !== 0xff)) throw new DerError('basicConstraints cA is not a DER BOOLEAN')
    return b[0] === 0xff
  }
  return false
}

function parseSanUris (buf: Uint8Array, value: Tlv): string[] {
  const seq = expectTag(readTlv(buf, value.start, value.end), 0x30, 'subjectAltName')
  const uris: string[] = []
  for (const name of children(buf, seq)) {
    if (name.tag === 0x86) {
      const bytes = tlvContent(buf, name)
      for (const c of bytes) if (c > 0x7e || c < 0x20) throw new DerError('URI SAN is not printable IA5String')
      uris.push(Buffer.from(bytes).toString('latin1'))
    }
  }
  return uris
}

/** Parse one DER certificate. Throws DerError (or an OpenSSL error) when it is not one. */
export function parseCertificate (input: Uint8Array): CertificateFields {
  const der = Uint8Array.from(input)
  const cert = readTlv(der, 0)
  if (cert.tag !== 0x30 || cert.end !== der.length) throw new DerError('certificate is not exactly one DER SEQUENCE')
  const [tbs] = children(der, cert)
  const tbsItems = children(der, expectTag(tbs, 0x30, 'tbsCertificate'))
  let i = 0
  if (tbsItems[i]?.tag === 0xa0) i++ // version
  expectTag(tbsItems[i++], 0x02, 'serialNumber')
  expectTag(tbsItems[i++], 0x30, 'signature')
  const issuer = expectTag(tbsItems[i++], 0x30, 'issuer')
  const validity = children(der, expectTag(tbsItems[i++], 0x30, 'validity'))
  const subject = expectTag(tbsItems[i++], 0x30, 'subject')
  expectTag(tbsItems[i++], 0x30, 'subjectPublicKeyInfo')
  if (validity.length !== 2) throw new DerError('validity must hold notBefore and notAfter')
  let isCa = false
  let keyUsage: KeyUsageBits | undefined
  let sanExtensions = 0
  let uris: string[] = []
  const unhandledCritical: string[] = []
  const seen = new Set<string>()
  const extWrapper = tbsItems.slice(i).find(t => t.tag === 0xa3)
  if (extWrapper != null) {
    const exts = children(der, expectTag(readTlv(der, extWrapper.start, extWrapper.end), 0x30, 'extensions'))
    for (const ext of exts) {
      const parts = children(der, expectTag(ext, 0x30, 'extension'))
      const oid = oidToString(tlvContent(der, expectTag(parts[0], 0x06, 'extnID')))
      if (seen.has(oid)) throw new DerError(`extension ${oid} appears twice`)
      seen.add(oid)
      let critical = false
      let vi = 1
      if (parts[1]?.tag === 0x01) {
        const b = tlvContent(der, parts[1])
        critical = b.length === 1 && b[0] === 0xff
        vi = 2
      }
      const value = expectTag(parts[vi], 0x04, 'extnValue')
      if (oid === OID_BASIC_CONSTRAINTS) isCa = parseBasicConstraintsCa(der, value)
      else if (oid === OID_KEY_USAGE) keyUsage = parseKeyUsage(der, value)
      else if (oid === OID_SUBJECT_ALT_NAME) { sanExtensions++; uris = parseSanUris(der, value) }
      if (critical && !HANDLED.has(oid)) unhandledCritical.push(oid)
    }
  }
  return {
    der,
    sha256: createHash('sha256').update(der).digest('hex'),
    issuer: tlvBytes(der, issuer),
    subject: tlvBytes(der, subject),
    notBefore: parseTime(der, validity[0]),
    notAfter: parseTime(der, validity[1]),
    isCa,
    ...(keyUsage != null ? { keyUsage } : {}),
    sanExtensions,
    uris,
    unhandledCritical,
    x509: new X509Certificate(der)
  }
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))
}
