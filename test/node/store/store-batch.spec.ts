/** StoreBatch: atomic, synced writes across sublevels; raw sublevels see the same records. */
import { expect } from 'chai'
import { openStore } from '../../../node/store/open-store.js'
import type { Store } from '../../../node/store/open-store.js'
import type { SublevelName } from '../../../node/store/sublevels.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { makeTempDir, removeDir } from './temp-dir.js'

async function rejects (p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected a rejection')
}

describe('store: StoreBatch', () => {
  let dir: string
  let store: Store
  beforeEach(async () => {
    dir = await makeTempDir('batch')
    store = await openStore(dir)
  })
  afterEach(async () => {
    await store.close()
    await removeDir(dir)
  })

  it('puts and deletes across sublevels become visible together', async () => {
    const nonces = store.repository<{ seen: number }>(SUBLEVELS.nonces)
    await nonces.put('old', { seen: 1 })
    const b = store.batch()
      .put(SUBLEVELS.nonces, 'n-1', { seen: 2 })
      .put(SUBLEVELS.invocations, 'bafkreiinv', { status: 'accepted' })
      .put(SUBLEVELS.auditEntries, '0000000001', { decision: 'allow' })
      .del(SUBLEVELS.nonces, 'old')
    expect(b.length).to.equal(4)
    expect(await nonces.has('n-1')).to.equal(false)
    await b.write()
    expect(await nonces.get('n-1')).to.deep.equal({ seen: 2 })
    expect(await nonces.has('old')).to.equal(false)
    expect(await store.repository(SUBLEVELS.invocations).get('bafkreiinv')).to.deep.equal({ status: 'accepted' })
    expect(await store.repository(SUBLEVELS.auditEntries).count()).to.equal(1)
  })

  it('nothing is written until write(); an invalid operation is refused before anything is written', async () => {
    const b = store.batch().put(SUBLEVELS.tasks, 't1', { a: 1 })
    expect(() => b.put(SUBLEVELS.tasks, '', { a: 2 })).to.throw().with.property('code', 'STORE_INVALID_ARGUMENT')
    expect(() => b.put('no-such-sublevel' as SublevelName, 'k', 1)).to.throw().with.property('code', 'STORE_INVALID_ARGUMENT')
    expect(() => b.put(SUBLEVELS.tasks, 'k', undefined)).to.throw().with.property('code', 'STORE_INVALID_ARGUMENT')
    expect(await store.repository(SUBLEVELS.tasks).count()).to.equal(0)
  })

  it('a batch is written once; later use is STORE_BATCH_SPENT', async () => {
    const b = store.batch().put(SUBLEVELS.tasks, 't1', { a: 1 })
    await b.write()
    expect((await rejects(b.write())).code).to.equal('STORE_BATCH_SPENT')
    expect(() => b.put(SUBLEVELS.tasks, 't2', {})).to.throw().with.property('code', 'STORE_BATCH_SPENT')
    await store.batch().write()
  })

  it('a batch written after close is STORE_CLOSED and writes nothing', async () => {
    const b = store.batch().put(SUBLEVELS.tasks, 't1', { a: 1 })
    await store.close()
    expect((await rejects(b.write())).code).to.equal('STORE_CLOSED')
    store = await openStore(dir)
    expect(await store.repository(SUBLEVELS.tasks).count()).to.equal(0)
  })

  it('raw sublevels use the same keyspace with JSON values', async () => {
    await store.repository(SUBLEVELS.libp2p).put('/peers/abc', { addrs: ['/ip4/10.0.0.2/tcp/4001'] })
    const raw = store.sublevel(SUBLEVELS.libp2p)
    expect(await raw.get('/peers/abc')).to.deep.equal({ addrs: ['/ip4/10.0.0.2/tcp/4001'] })
    await raw.put('/peers/def', { addrs: [] })
    expect(await store.repository(SUBLEVELS.libp2p).list()).to.have.length(2)
    expect(await store.repository(SUBLEVELS.peers).count()).to.equal(0)
    expect(() => store.sublevel('bogus' as SublevelName)).to.throw().with.property('code', 'STORE_INVALID_ARGUMENT')
  })

  it('bytes sublevels keep byte values exactly and stay in their own keyspace', async () => {
    const bytes = store.bytesSublevel(SUBLEVELS.libp2p)
    expect(store.bytesSublevel(SUBLEVELS.libp2p)).to.equal(bytes)
    const value = Uint8Array.from([0, 1, 2, 250, 255])
    await bytes.put('/pkcs8/self', value)
    expect(Array.from(await bytes.get('/pkcs8/self') as Uint8Array)).to.deep.equal([0, 1, 2, 250, 255])
    expect(await store.repository(SUBLEVELS.peers).count()).to.equal(0)
    expect(() => store.bytesSublevel('bogus' as SublevelName)).to.throw().with.property('code', 'STORE_INVALID_ARGUMENT')
  })
})
