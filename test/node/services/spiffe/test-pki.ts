/**
 * Test certificates for SPIFFE: a root CA per trust domain, intermediates, good leaves and each kind
 * of bad one, generated with @peculiar/x509 on WebCrypto (ECDSA P-256, as SPIRE issues by default).
 */
import './reflect-metadata-shim.js'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

type CryptoKeyPair = webcrypto.CryptoKeyPair

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
const DAY = 24 * 3600 * 1000
/** Same instant as the fake clock's default. */
export const T0 = Date.UTC(2026, 0, 1)

export interface TestCa {
  readonly name: string
  readonly der: Uint8Array
  readonly keys: webcrypto.CryptoKeyPair
}

export interface TestLeaf {
  readonly der: Uint8Array
  readonly key: Uint8Array
}

export interface Validity { notBefore?: number, notAfter?: number }

let serial = 1
const nextSerial = (): string => (serial++).toString(16).padStart(4, '0')

async function keys (): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair
}

export async function makeRoot (name: string, v: Validity = {}): Promise<TestCa> {
  const k = await keys()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name}`,
    notBefore: new Date(v.notBefore ?? T0 - 30 * DAY),
    notAfter: new Date(v.notAfter ?? T0 + 365 * DAY),
    signingAlgorithm: ALG,
    keys: k,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)
    ]
  })
  return { name, der: new Uint8Array(cert.rawData), keys: k }
}

export async function makeIntermediate (parent: TestCa, name: string, v: Validity & { ca?: boolean } = {}): Promise<TestCa> {
  const k = await keys()
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    issuer: `CN=${parent.name}`,
    subject: `CN=${name}`,
    notBefore: new Date(v.notBefore ?? T0 - 20 * DAY),
    notAfter: new Date(v.notAfter ?? T0 + 200 * DAY),
    signingAlgorithm: ALG,
    publicKey: k.publicKey,
    signingKey: parent.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(v.ca ?? true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)
    ]
  })
  return { name, der: new Uint8Array(cert.rawData), keys: k }
}

export interface LeafOptions extends Validity {
  /** URI SANs (default none). */
  uris: string[]
  ca?: boolean
  /** KeyUsageFlags bits; null for no extension. Default digitalSignature. */
  keyUsage?: number | null
  subject?: string
}

export async function makeLeaf (issuer: TestCa, o: LeafOptions): Promise<TestLeaf> {
  const k = await keys()
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(o.ca ?? false, undefined, true)]
  const ku = o.keyUsage === undefined ? x509.KeyUsageFlags.digitalSignature : o.keyUsage
  if (ku !== null) extensions.push(new x509.KeyUsagesExtension(ku, true))
  if (o.uris.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(o.uris.map(u => ({ type: 'url' as const, value: u }))))
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    issuer: `CN=${issuer.name}`,
    subject: o.subject ?? 'O=SPIRE',
    notBefore: new Date(o.notBefore ?? T0 - DAY),
    notAfter: new Date(o.notAfter ?? T0 + DAY),
    signingAlgorithm: ALG,
    publicKey: k.publicKey,
    signingKey: issuer.keys.privateKey,
    extensions
  })
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', k.privateKey)
  return { der: new Uint8Array(cert.rawData), key: new Uint8Array(pkcs8) }
}

export function concat (...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}

export { x509 }
