/**
 * One shared set of test PKI for the SPIFFE specs, generated once per run (key generation is the slow
 * part): trust domains acme.test and globex.test, and every kind of bad SVID the validator must refuse.
 */
import { concat, makeIntermediate, makeLeaf, makeRoot, T0, type TestCa, type TestLeaf } from './test-pki.js'
import { x509 } from './test-pki.js'

export const ACME_ID = 'spiffe://acme.test/trustmesh/node'
export const GLOBEX_ID = 'spiffe://globex.test/trustmesh/node'
const DAY = 24 * 3600 * 1000

export interface SvidFixtures {
  acmeRoot: TestCa
  acmeInter: TestCa
  globexRoot: TestCa
  /** Leaf via intermediate; chain = leaf + intermediate. */
  good: TestLeaf
  goodChain: Uint8Array
  /** A second good leaf (rotation). */
  rotated: TestLeaf
  rotatedChain: Uint8Array
  /** Leaf signed directly by the root. */
  direct: TestLeaf
  globexLeaf: TestLeaf
  wrongTd: TestLeaf
  twoUris: TestLeaf
  noUri: TestLeaf
  httpsUri: TestLeaf
  caLeaf: TestLeaf
  noDigitalSig: TestLeaf
  certSignLeaf: TestLeaf
  noKeyUsage: TestLeaf
  expired: TestLeaf
  notYetValid: TestLeaf
  /** Signed by a different key under the same CA name as acme's root. */
  rogue: TestLeaf
  /** Leaf issued by an intermediate that is not a CA. */
  viaNonCa: TestLeaf
  nonCaInter: TestCa
  expiredInter: TestCa
  viaExpiredInter: TestLeaf
}

let cached: Promise<SvidFixtures> | undefined

export async function svidFixtures (): Promise<SvidFixtures> {
  cached ??= build()
  return await cached
}

async function build (): Promise<SvidFixtures> {
  const acmeRoot = await makeRoot('acme-root')
  const acmeInter = await makeIntermediate(acmeRoot, 'acme-inter')
  const globexRoot = await makeRoot('globex-root')
  const rogueRoot = await makeRoot('acme-root')
  const nonCaInter = await makeIntermediate(acmeRoot, 'acme-nonca', { ca: false })
  const expiredInter = await makeIntermediate(acmeRoot, 'acme-old', { notBefore: T0 - 100 * DAY, notAfter: T0 - 10 * DAY })
  const good = await makeLeaf(acmeInter, { uris: [ACME_ID] })
  const rotated = await makeLeaf(acmeInter, { uris: [ACME_ID], notAfter: T0 + 2 * DAY })
  return {
    acmeRoot,
    acmeInter,
    globexRoot,
    good,
    goodChain: concat(good.der, acmeInter.der),
    rotated,
    rotatedChain: concat(rotated.der, acmeInter.der),
    direct: await makeLeaf(acmeRoot, { uris: [ACME_ID] }),
    globexLeaf: await makeLeaf(globexRoot, { uris: [GLOBEX_ID] }),
    wrongTd: await makeLeaf(acmeInter, { uris: [GLOBEX_ID] }),
    twoUris: await makeLeaf(acmeInter, { uris: [ACME_ID, 'spiffe://acme.test/other'] }),
    noUri: await makeLeaf(acmeInter, { uris: [] }),
    httpsUri: await makeLeaf(acmeInter, { uris: ['https://acme.test/trustmesh/node'] }),
    caLeaf: await makeLeaf(acmeInter, { uris: [ACME_ID], ca: true, keyUsage: x509.KeyUsageFlags.digitalSignature }),
    noDigitalSig: await makeLeaf(acmeInter, { uris: [ACME_ID], keyUsage: x509.KeyUsageFlags.keyEncipherment }),
    certSignLeaf: await makeLeaf(acmeInter, { uris: [ACME_ID], keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign }),
    noKeyUsage: await makeLeaf(acmeInter, { uris: [ACME_ID], keyUsage: null }),
    expired: await makeLeaf(acmeInter, { uris: [ACME_ID], notBefore: T0 - 10 * DAY, notAfter: T0 - DAY }),
    notYetValid: await makeLeaf(acmeInter, { uris: [ACME_ID], notBefore: T0 + DAY, notAfter: T0 + 3 * DAY }),
    rogue: await makeLeaf(rogueRoot, { uris: [ACME_ID] }),
    viaNonCa: await makeLeaf(nonCaInter, { uris: [ACME_ID] }),
    nonCaInter,
    expiredInter,
    viaExpiredInter: await makeLeaf(expiredInter, { uris: [ACME_ID], notBefore: T0 - 50 * DAY, notAfter: T0 + DAY })
  }
}
