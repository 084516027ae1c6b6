/**
 * Conformance suite for `Repository<T>`: every implementation (LevelDB, in-memory) must pass the same
 * tests, so pure code tested against `MemoryRepository` behaves the same on the real store.
 * Call `repositoryConformance(makeRepo)` inside a `describe`.
 */
import { expect } from 'chai'
import type { Codec, Repository } from '../../../node/store/repository.js'
import type { SublevelName } from '../../../node/store/sublevels.js'

export interface RepoHarness<T> {
  repo: Repository<T>
  /** Stores text verbatim under `key`, bypassing encoding (to plant a damaged record). */
  writeRaw: (key: string, text: string) => Promise<void>
}

/** Creates a fresh, empty repository; resources are released by `cleanup` after each test. */
export interface RepoFactory {
  make: <T>(name: SublevelName, codec?: Codec<T>) => Promise<RepoHarness<T>>
  cleanup: () => Promise<void>
}

interface Rec { n: number, tag?: string }

const recCodec: Codec<Rec> = {
  decode (v: unknown): Rec {
    if (typeof v !== 'object' || v === null || typeof (v as Rec).n !== 'number') throw new TypeError('expected { n: number }')
    return { n: (v as Rec).n, tag: (v as Rec).tag }
  }
}

async function rejects (p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected a rejection')
}

async function collect<T> (it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const v of it) out.push(v)
  return out
}

export function repositoryConformance (factory: () => RepoFactory): void {
  let f: RepoFactory
  let repo: Repository<Rec>
  let writeRaw: (key: string, text: string) => Promise<void>

  beforeEach(async () => {
    f = factory()
    const h = await f.make<Rec>('tasks', recCodec)
    repo = h.repo
    writeRaw = h.writeRaw
  })
  afterEach(async () => { await f.cleanup() })

  const fill = async (keys: string[]): Promise<void> => {
    for (const [i, k] of keys.entries()) await repo.put(k, { n: i }, { sync: false })
  }

  it('get of a missing key is undefined; put, get, overwrite, has, del', async () => {
    expect(await repo.get('a')).to.equal(undefined)
    expect(await repo.has('a')).to.equal(false)
    await repo.put('a', { n: 1, tag: 'x' })
    expect(await repo.get('a')).to.deep.equal({ n: 1, tag: 'x' })
    expect(await repo.has('a')).to.equal(true)
    await repo.put('a', { n: 2 })
    expect(await repo.get('a')).to.deep.equal({ n: 2, tag: undefined })
    await repo.del('a')
    expect(await repo.get('a')).to.equal(undefined)
    expect(await repo.has('a')).to.equal(false)
    await repo.del('never-there')
    expect(await repo.count()).to.equal(0)
  })

  it('stores copies: mutating a value after put or after get changes nothing stored', async () => {
    const v: Rec = { n: 1 }
    await repo.put('k', v)
    v.n = 99
    const got = await repo.get('k') as Rec
    expect(got.n).to.equal(1)
    got.n = 42
    expect((await repo.get('k'))?.n).to.equal(1)
  })

  it('getMany keeps order and gives undefined for missing keys', async () => {
    await fill(['a', 'b', 'c'])
    expect(await repo.getMany(['c', 'zz', 'a'])).to.deep.equal([{ n: 2, tag: undefined }, undefined, { n: 0, tag: undefined }])
    expect(await repo.getMany([])).to.deep.equal([])
  })

  it('lists in code point order (UTF-8 byte order), including beyond the BMP', async () => {
    const keys = ['b', 'a', '\uffff', '\u{1F600}', 'a/1', 'A', '\u00e9']
    await fill(keys)
    const listed = (await repo.list()).map(([k]) => k)
    expect(listed).to.deep.equal(['A', 'a', 'a/1', 'b', '\u00e9', '\uffff', '\u{1F600}'])
    expect(await collect(repo.keys({ reverse: true }))).to.deep.equal([...listed].reverse())
  })

  it('range options gt, gte, lt, lte, limit and reverse', async () => {
    await fill(['k1', 'k2', 'k3', 'k4', 'k5'])
    const keys = async (o: Parameters<Repository<Rec>['list']>[0]): Promise<string[]> => (await repo.list(o)).map(([k]) => k)
    expect(await keys({ gt: 'k2', lt: 'k5' })).to.deep.equal(['k3', 'k4'])
    expect(await keys({ gte: 'k2', lte: 'k5' })).to.deep.equal(['k2', 'k3', 'k4', 'k5'])
    expect(await keys({ gte: 'k2', gt: 'k2' })).to.deep.equal(['k3', 'k4', 'k5'])
    expect(await keys({ gte: 'k2', limit: 2 })).to.deep.equal(['k2', 'k3'])
    expect(await keys({ lte: 'k4', limit: 2, reverse: true })).to.deep.equal(['k4', 'k3'])
    expect(await keys({ gt: 'k4', lt: 'k2' })).to.deep.equal([])
    expect(await keys({ gt: 'k3', lt: 'k3' })).to.deep.equal([])
    expect(await keys({ gte: 'k3', lte: 'k3' })).to.deep.equal(['k3'])
    expect(await keys({ limit: 0 })).to.deep.equal([])
    expect(await repo.count({ gt: 'k1' })).to.equal(4)
  })

  it('prefix selects exactly the keys that start with it, alone or with bounds', async () => {
    await fill(['org/a', 'org/b', 'org/b/1', 'org0', 'orf', 'org', 'or', 'org/\u{10FFFF}x', 'org\u{10FFFF}'])
    const keys = async (o: Parameters<Repository<Rec>['list']>[0]): Promise<string[]> => (await repo.list(o)).map(([k]) => k)
    expect(await keys({ prefix: 'org/' })).to.deep.equal(['org/a', 'org/b', 'org/b/1', 'org/\u{10FFFF}x'])
    expect(await keys({ prefix: 'org/', reverse: true, limit: 2 })).to.deep.equal(['org/\u{10FFFF}x', 'org/b/1'])
    expect(await keys({ prefix: 'org/', gt: 'org/a', lt: 'org/c' })).to.deep.equal(['org/b', 'org/b/1'])
    expect(await keys({ prefix: 'org/', gte: 'a' })).to.deep.equal(['org/a', 'org/b', 'org/b/1', 'org/\u{10FFFF}x'])
    expect(await keys({ prefix: 'org/', lt: 'a' })).to.deep.equal([])
    expect(await keys({ prefix: 'org\u{10FFFF}' })).to.deep.equal(['org\u{10FFFF}'])
    expect(await keys({ prefix: 'zzz' })).to.deep.equal([])
    expect(await repo.count({ prefix: 'org' })).to.equal(7)
  })

  it('values() iterates in order and may be left early; the repository keeps working', async () => {
    await fill(['a', 'b', 'c', 'd'])
    const seen: number[] = []
    for await (const v of repo.values()) {
      seen.push(v.n)
      if (seen.length === 2) break
    }
    expect(seen).to.deep.equal([0, 1])
    expect((await collect(repo.values({ prefix: 'c' }))).map(v => v.n)).to.deep.equal([2])
    expect(await collect(repo.entries({ gte: 'd' }))).to.deep.equal([['d', { n: 3, tag: undefined }]])
    expect(await repo.count()).to.equal(4)
  })

  it('an iteration reads a snapshot: writes made after it started are not seen', async () => {
    await fill(['a', 'b', 'c'])
    const it = repo.keys()
    expect((await it.next()).value).to.equal('a')
    await repo.put('bb', { n: 9 })
    await repo.del('c')
    const rest: string[] = []
    for await (const k of it) rest.push(k)
    expect(rest).to.deep.equal(['b', 'c'])
    expect((await repo.list()).map(([k]) => k)).to.deep.equal(['a', 'b', 'bb'])
  })

  it('a record that is not JSON raises CORRUPT_RECORD naming sublevel and key, on get, getMany, list and values', async () => {
    await repo.put('good', { n: 1 })
    await writeRaw('bad', '{"n": 1,,')
    for (const p of [repo.get('bad'), repo.getMany(['good', 'bad']), repo.list(), collect(repo.values())]) {
      const err = await rejects(p)
      expect(err.code).to.equal('CORRUPT_RECORD')
      expect(err.name).to.equal('CorruptRecordError')
      expect(err.message).to.include('tasks').and.include('"bad"')
    }
    expect(await repo.get('good')).to.deep.equal({ n: 1, tag: undefined })
    expect(await repo.count()).to.equal(2)
  })

  it('a record that fails its codec raises CORRUPT_RECORD with the codec reason', async () => {
    await writeRaw('wrong-shape', JSON.stringify({ n: 'one' }))
    const err = await rejects(repo.get('wrong-shape'))
    expect(err.code).to.equal('CORRUPT_RECORD')
    expect(err.message).to.include('expected { n: number }').and.include('"wrong-shape"')
    expect(await repo.has('wrong-shape')).to.equal(true)
  })

  it('without a codec, any JSON value round-trips', async () => {
    const h = await f.make<unknown>('meta')
    for (const v of [0, 'text', null, [1, { a: [true] }], { nested: { deep: 'x' } }]) {
      await h.repo.put('v', v)
      expect(await h.repo.get('v')).to.deep.equal(v)
    }
  })

  it('refuses empty and malformed keys, values JSON cannot hold and bad limits', async () => {
    for (const key of ['', '\ud800', 'a\udc00b']) {
      expect((await rejects(repo.put(key, { n: 1 }))).code).to.equal('STORE_INVALID_ARGUMENT')
      expect((await rejects(repo.get(key))).code).to.equal('STORE_INVALID_ARGUMENT')
    }
    expect((await rejects(repo.put('k', undefined as unknown as Rec))).code).to.equal('STORE_INVALID_ARGUMENT')
    expect((await rejects(repo.put('k', { n: 1n } as unknown as Rec))).code).to.equal('STORE_INVALID_ARGUMENT')
    expect((await rejects(repo.list({ limit: -1 }))).code).to.equal('STORE_INVALID_ARGUMENT')
    expect((await rejects(repo.list({ limit: 1.5 }))).code).to.equal('STORE_INVALID_ARGUMENT')
    expect(await repo.count()).to.equal(0)
  })

  it('repositories of different sublevels do not see each other', async () => {
    const other = await f.make<Rec>('receipts', recCodec)
    await repo.put('same', { n: 1 })
    await other.repo.put('same', { n: 2 })
    expect((await repo.get('same'))?.n).to.equal(1)
    expect((await other.repo.get('same'))?.n).to.equal(2)
    await other.repo.del('same')
    expect((await repo.get('same'))?.n).to.equal(1)
    expect(await other.repo.count()).to.equal(0)
  })
}
