/**
 * One conformance suite for every KeyStore implementation (SPIRE keymanagertest style): each
 * implementation's spec calls `keyStoreConformance` with a factory for a fresh, empty store.
 */
import { expect } from 'chai'
import { inspect } from 'node:util'
import { KeyStoreError, KeyStoreErrorCode, type KeyStore } from '../../identity/keystore.js'
import { Ed25519Signer } from '../../identity/signer.js'
import { seedFor } from '../helpers/principals.js'

export interface StoreFixture {
  store: KeyStore
  cleanup: () => Promise<void>
}

export async function expectKeyStoreError (p: Promise<unknown>, code: string, what = ''): Promise<void> {
  try {
    await p
  } catch (err) {
    expect(err, what).to.be.instanceOf(KeyStoreError)
    expect((err as KeyStoreError).code, `${what}: ${(err as Error).message}`).to.equal(code)
    return
  }
  expect.fail(`${what}: expected KeyStoreError ${code}`)
}

function secretSpellings (seed: Uint8Array): string[] {
  const b = Buffer.from(seed)
  return [b.toString('hex'), b.toString('base64'), b.toString('base64url'), Array.from(b).join(',')]
}

export function keyStoreConformance (name: string, make: () => Promise<StoreFixture>): void {
  describe(`KeyStore conformance: ${name}`, () => {
    let fx: StoreFixture
    beforeEach(async () => { fx = await make() })
    afterEach(async () => { await fx.cleanup() })

    it('starts empty', async () => {
      expect(await fx.store.list()).to.deep.equal([])
      expect(await fx.store.has('org')).to.equal(false)
    })

    it('creates a key, then loads the same key', async () => {
      const created = await fx.store.create('org')
      expect(await fx.store.has('org')).to.equal(true)
      expect(await fx.store.list()).to.deep.equal(['org'])
      expect(await fx.store.did('org')).to.equal(created.did)
      const loaded = await fx.store.load('org')
      expect(loaded.did).to.equal(created.did)
      const msg = new Uint8Array([1, 2, 3])
      expect(Buffer.from(await loaded.sign(msg)).equals(Buffer.from(await created.sign(msg)))).to.equal(true)
    })

    it('creates distinct keys under distinct names and lists them sorted', async () => {
      const b = await fx.store.create('node-b')
      const a = await fx.store.create('agent.a')
      expect(a.did).to.not.equal(b.did)
      expect(await fx.store.list()).to.deep.equal(['agent.a', 'node-b'])
    })

    it('imports a seed and loads the key it names', async () => {
      const seed = seedFor('import-me')
      const s = await fx.store.import('imported', seed)
      expect(s.did).to.equal(new Ed25519Signer(seed).did)
      expect((await fx.store.load('imported')).did).to.equal(s.did)
    })

    it('never overwrites: create and import of an existing name fail with KEY_EXISTS', async () => {
      const first = await fx.store.create('org')
      await expectKeyStoreError(fx.store.create('org'), KeyStoreErrorCode.KEY_EXISTS, 'create')
      await expectKeyStoreError(fx.store.import('org', seedFor('other')), KeyStoreErrorCode.KEY_EXISTS, 'import')
      expect((await fx.store.load('org')).did).to.equal(first.did)
    })

    it('reports a missing key with KEY_NOT_FOUND', async () => {
      await expectKeyStoreError(fx.store.load('missing'), KeyStoreErrorCode.KEY_NOT_FOUND, 'load')
      await expectKeyStoreError(fx.store.did('missing'), KeyStoreErrorCode.KEY_NOT_FOUND, 'did')
    })

    it('refuses invalid names and path traversal with INVALID_KEY_NAME', async () => {
      for (const bad of ['', 'Org', '../org', 'a/b', '..', '.hidden', 'a..b', 'x\u0000', 'a b', 'é', 'a'.repeat(65), '-dash']) {
        await expectKeyStoreError(fx.store.create(bad), KeyStoreErrorCode.INVALID_KEY_NAME, `create ${JSON.stringify(bad)}`)
        await expectKeyStoreError(fx.store.load(bad), KeyStoreErrorCode.INVALID_KEY_NAME, `load ${JSON.stringify(bad)}`)
        await expectKeyStoreError(fx.store.has(bad), KeyStoreErrorCode.INVALID_KEY_NAME, `has ${JSON.stringify(bad)}`)
        await expectKeyStoreError(fx.store.import(bad, seedFor('x')), KeyStoreErrorCode.INVALID_KEY_NAME, `import ${JSON.stringify(bad)}`)
      }
      expect(await fx.store.list()).to.deep.equal([])
    })

    it('refuses a seed that is not 32 bytes', async () => {
      for (const n of [0, 31, 33, 64]) {
        let threw = false
        try { await fx.store.import('k', new Uint8Array(n)) } catch (err) { threw = err instanceof RangeError }
        expect(threw, `${n} bytes`).to.equal(true)
      }
      expect(await fx.store.has('k')).to.equal(false)
    })

    it('reveals no seed through JSON or inspection', async () => {
      const seed = seedFor('secret')
      const s = await fx.store.import('secret', seed)
      const loaded = await fx.store.load('secret')
      const shown = [JSON.stringify(fx.store), JSON.stringify(s), JSON.stringify(loaded), inspect(fx.store, { depth: 5, showHidden: true }), inspect(loaded, { depth: 5, showHidden: true })].join('\n')
      for (const spelling of secretSpellings(seed)) expect(shown.includes(spelling), spelling).to.equal(false)
      expect(JSON.stringify(loaded)).to.equal(JSON.stringify({ did: s.did }))
    })
  })
}
