import { expect } from 'chai'
import { mkdtemp, readdir, readFile, rm, stat, writeFile, copyFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileKeyStore, KeyStoreError, KeyStoreErrorCode, MemoryKeyStore, resolvePassphrase, PASSPHRASE_ENV } from '../../identity/keystore.js'
import { seedFor, acme } from '../helpers/principals.js'
import { expectKeyStoreError, keyStoreConformance } from './keystore-conformance.js'

/** Small scrypt cost so tests stay fast; production default is N = 2^15. */
const FAST = { scrypt: { N: 1 << 10 } }
const PASS = 'correct horse battery staple'

async function tempDir (): Promise<string> {
  return await mkdtemp(join(tmpdir(), 'trustmesh-keystore-'))
}

keyStoreConformance('MemoryKeyStore', async () => ({ store: new MemoryKeyStore(), cleanup: async () => {} }))

keyStoreConformance('FileKeyStore', async () => {
  const base = await tempDir()
  return { store: new FileKeyStore(join(base, 'keys'), PASS, FAST), cleanup: async () => { await rm(base, { recursive: true, force: true }) } }
})

describe('FileKeyStore', () => {
  let base: string
  let dir: string
  beforeEach(async () => { base = await tempDir(); dir = join(base, 'keys') })
  afterEach(async () => { await rm(base, { recursive: true, force: true }) })

  it('writes key files 0600 in a 0700 directory, with only the DID in clear', async () => {
    const seed = seedFor('acme')
    await new FileKeyStore(dir, PASS, FAST).import('acme', seed)
    expect((await stat(dir)).mode & 0o777).to.equal(0o700)
    expect((await stat(join(dir, 'acme.key'))).mode & 0o777).to.equal(0o600)
    expect(await readdir(dir)).to.deep.equal(['acme.key'])
    const text = await readFile(join(dir, 'acme.key'), 'utf8')
    const file = JSON.parse(text)
    expect(file.did).to.equal(acme.did)
    expect(file.kdf).to.include({ name: 'scrypt', N: 1 << 10 })
    expect(file.cipher.name).to.equal('aes-256-gcm')
    for (const s of [Buffer.from(seed).toString('hex'), Buffer.from(seed).toString('base64'), Buffer.from(seed).toString('base64url')]) expect(text).to.not.include(s)
  })

  it('uses a fresh salt and nonce for every file', async () => {
    const store = new FileKeyStore(dir, PASS, FAST)
    await store.import('a', seedFor('same'))
    await store.import('b', seedFor('same'))
    const a = JSON.parse(await readFile(join(dir, 'a.key'), 'utf8'))
    const b = JSON.parse(await readFile(join(dir, 'b.key'), 'utf8'))
    expect(a.kdf.salt).to.not.equal(b.kdf.salt)
    expect(a.cipher.nonce).to.not.equal(b.cipher.nonce)
    expect(a.cipher.ciphertext).to.not.equal(b.cipher.ciphertext)
  })

  it('loads keys written by another instance with the same passphrase', async () => {
    const s = await new FileKeyStore(dir, PASS, FAST).create('org')
    const again = new FileKeyStore(dir, PASS, FAST)
    expect((await again.load('org')).did).to.equal(s.did)
    expect(await again.list()).to.deep.equal(['org'])
    expect(await new FileKeyStore(dir, 'wrong', FAST).did('org')).to.equal(s.did)
  })

  it('refuses a wrong passphrase with WRONG_PASSPHRASE', async () => {
    await new FileKeyStore(dir, PASS, FAST).create('org')
    await expectKeyStoreError(new FileKeyStore(dir, PASS + '!', FAST).load('org'), KeyStoreErrorCode.WRONG_PASSPHRASE)
  })

  async function tamper (edit: (f: Record<string, any>) => void): Promise<FileKeyStore> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const store = new FileKeyStore(dir, PASS, FAST)
    await store.import('org', seedFor('acme'))
    const path = join(dir, 'org.key')
    const f = JSON.parse(await readFile(path, 'utf8'))
    edit(f)
    await writeFile(path, JSON.stringify(f))
    return store
  }

  const flip = (b64: string): string => { const b = Buffer.from(b64, 'base64'); b[0] ^= 1; return b.toString('base64') }
  const cases: Array<[string, (f: Record<string, any>) => void]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['ciphertext flipped', f => { f.cipher.ciphertext = flip(f.cipher.ciphertext) }],
    ['tag flipped', f => { f.cipher.tag = flip(f.cipher.tag) }],
    ['nonce flipped', f => { f.cipher.nonce = flip(f.cipher.nonce) }],
    ['DID swapped (bound as AAD)', f => { f.did = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw' }],
    ['ciphertext truncated', f => { f.cipher.ciphertext = Buffer.from(f.cipher.ciphertext, 'base64').subarray(1).toString('base64') }],
    ['unknown version', f => { f.version = 2 }],
    ['cipher missing', f => { delete f.cipher }],
    ['absurd scrypt cost', f => { f.kdf.N = 2 ** 30 }],
    ['non-power-of-two cost', f => { f.kdf.N = 1000 }],
    ['name of another key', f => { f.name = 'other' }]
  ]
  for (const [name, edit] of cases) {
    it(`refuses a corrupt key file (${name}) with KEY_FILE_CORRUPT`, async () => {
      const store = await tamper(edit)
      await expectKeyStoreError(store.load('org'), KeyStoreErrorCode.KEY_FILE_CORRUPT, name)
    })
  }

  it('refuses a file that is not JSON or is empty with KEY_FILE_CORRUPT', async () => {
    const store = new FileKeyStore(dir, PASS, FAST)
    await store.create('a')
    await writeFile(join(dir, 'a.key'), '{"version": 1, "na')
    await expectKeyStoreError(store.load('a'), KeyStoreErrorCode.KEY_FILE_CORRUPT, 'truncated JSON')
    await writeFile(join(dir, 'a.key'), '')
    await expectKeyStoreError(store.load('a'), KeyStoreErrorCode.KEY_FILE_CORRUPT, 'empty')
  })

  it('refuses a key file copied under another name (name bound as AAD)', async () => {
    const store = new FileKeyStore(dir, PASS, FAST)
    await store.create('alice')
    await copyFile(join(dir, 'alice.key'), join(dir, 'bob.key'))
    await expectKeyStoreError(store.load('bob'), KeyStoreErrorCode.KEY_FILE_CORRUPT)
  })

  it('lets exactly one of two concurrent creates of a name win', async () => {
    const store = new FileKeyStore(dir, PASS, FAST)
    const results = await Promise.allSettled([store.create('org'), store.create('org')])
    expect(results.filter(r => r.status === 'fulfilled')).to.have.length(1)
    const rejected = results.find(r => r.status === 'rejected') as PromiseRejectedResult
    expect((rejected.reason as KeyStoreError).code).to.equal(KeyStoreErrorCode.KEY_EXISTS)
    const winner = (results.find(r => r.status === 'fulfilled') as PromiseFulfilledResult<{ did: string }>).value
    expect((await store.load('org')).did).to.equal(winner.did)
    expect(await readdir(dir)).to.deep.equal(['org.key'])
  })

  it('ignores stray files when listing', async () => {
    const store = new FileKeyStore(dir, PASS, FAST)
    await store.create('org')
    await writeFile(join(dir, 'notes.txt'), 'x')
    await writeFile(join(dir, 'Bad Name.key'), 'x')
    expect(await store.list()).to.deep.equal(['org'])
    expect(await new FileKeyStore(join(base, 'none'), PASS, FAST).list()).to.deep.equal([])
  })

  it('needs a passphrase', () => {
    expect(() => new FileKeyStore(dir, '', FAST)).to.throw(KeyStoreError).with.property('code', KeyStoreErrorCode.NO_PASSPHRASE)
    expect(() => new FileKeyStore(dir, PASS, { scrypt: { N: 1000 } })).to.throw(RangeError)
  })
})

describe('resolvePassphrase', () => {
  it('prefers the option, then the environment, else NO_PASSPHRASE', () => {
    expect(resolvePassphrase('opt', { [PASSPHRASE_ENV]: 'env' })).to.equal('opt')
    expect(resolvePassphrase(undefined, { [PASSPHRASE_ENV]: 'env' })).to.equal('env')
    expect(resolvePassphrase('', { [PASSPHRASE_ENV]: 'env' })).to.equal('env')
    for (const env of [{}, { [PASSPHRASE_ENV]: '' }]) {
      expect(() => resolvePassphrase(undefined, env)).to.throw(KeyStoreError).with.property('code', KeyStoreErrorCode.NO_PASSPHRASE)
    }
  })
})
