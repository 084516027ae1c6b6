/**
 * The X509-SVID as this node holds it, decoded from a Workload API `X509SVIDResponse`. Each response
 * is a complete snapshot; a malformed one is rejected whole (the spec says discard, never half-use).
 * The private key stays in memory and is never logged or serialised by toJSON.
 */
import { parseCertificate } from './certificate-fields.js'
import { splitDerSequences } from './der.js'
import { parseSpiffeId } from './spiffe-id.js'
import type { X509BundlesResponseMessage, X509SvidResponseMessage } from './workload-proto.js'

export interface X509Svid {
  readonly spiffeId: string
  readonly trustDomain: string
  /** DER certificates, leaf first. */
  readonly chain: readonly Uint8Array[]
  /** PKCS#8 DER private key of the leaf. */
  readonly privateKey: Uint8Array
  /** DER roots of the SVID's own trust domain. */
  readonly bundle: readonly Uint8Array[]
  readonly hint: string
  /** Leaf notAfter, ms since the epoch. */
  readonly notAfter: number
}

export interface X509SvidSnapshot {
  /** The default SVID: the first in the response. */
  readonly svid: X509Svid
  readonly svids: readonly X509Svid[]
  /** Foreign trust domain bundles, keyed as the agent sent them; kept apart, never merged. */
  readonly federatedBundles: ReadonlyMap<string, readonly Uint8Array[]>
  readonly crl: readonly Uint8Array[]
}

export class MalformedSvidResponseError extends Error {
  override name = 'MalformedSvidResponseError'
  readonly code = 'SPIFFE_MALFORMED_RESPONSE'
}

function asBytes (v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length === 0) throw new MalformedSvidResponseError(`${what} is missing or empty`)
  return v
}

function splitCerts (bytes: Uint8Array, what: string): Uint8Array[] {
  try {
    const list = splitDerSequences(bytes)
    if (list.length === 0) throw new Error('no certificates')
    return list
  } catch (err) {
    throw new MalformedSvidResponseError(`${what}: ${(err as Error).message}`)
  }
}

function bundleMap (record: Record<string, Uint8Array> | undefined, what: string): Map<string, Uint8Array[]> {
  const out = new Map<string, Uint8Array[]>()
  for (const [k, v] of Object.entries(record ?? {})) out.set(k, splitCerts(asBytes(v, `${what} ${k}`), `${what} ${k}`))
  return out
}

/** Decode a response into a snapshot. Throws MalformedSvidResponseError. */
export function snapshotFromResponse (msg: X509SvidResponseMessage): X509SvidSnapshot {
  if (!Array.isArray(msg.svids) || msg.svids.length === 0) throw new MalformedSvidResponseError('response carries no SVIDs')
  const svids = msg.svids.map((s, i): X509Svid => {
    const id = parseSpiffeId(s.spiffe_id)
    if (!id.ok) throw new MalformedSvidResponseError(`svid ${i}: ${id.error.message}`)
    const chain = splitCerts(asBytes(s.x509_svid, `svid ${i} x509_svid`), `svid ${i} x509_svid`)
    let notAfter: number
    try {
      const leaf = parseCertificate(chain[0])
      if (!leaf.uris.includes(id.value.id)) throw new MalformedSvidResponseError(`svid ${i}: leaf URI SAN does not match spiffe_id ${id.value.id}`)
      notAfter = leaf.notAfter
    } catch (err) {
      if (err instanceof MalformedSvidResponseError) throw err
      throw new MalformedSvidResponseError(`svid ${i}: leaf does not parse: ${(err as Error).message}`)
    }
    const privateKey = Uint8Array.from(asBytes(s.x509_svid_key, `svid ${i} x509_svid_key`))
    const bundle = splitCerts(asBytes(s.bundle, `svid ${i} bundle`), `svid ${i} bundle`)
    const svid = { spiffeId: id.value.id, trustDomain: id.value.trustDomain, chain, privateKey, bundle, hint: typeof s.hint === 'string' ? s.hint : '', notAfter }
    Object.defineProperty(svid, 'toJSON', { enumerable: false, value: () => ({ spiffeId: svid.spiffeId, hint: svid.hint, notAfter: svid.notAfter }) })
    return svid
  })
  return {
    svid: svids[0],
    svids,
    federatedBundles: bundleMap(msg.federated_bundles, 'federated bundle'),
    crl: (msg.crl ?? []).map(c => Uint8Array.from(c))
  }
}

/** Decode an X509BundlesResponse: trust domain -> DER roots, each kept separate. */
export function bundlesFromResponse (msg: X509BundlesResponseMessage): Map<string, Uint8Array[]> {
  const bundles = bundleMap(msg.bundles, 'bundle')
  if (bundles.size === 0) throw new MalformedSvidResponseError('bundles response carries no bundles')
  return bundles
}
