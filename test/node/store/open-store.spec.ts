/** openStore: directories, reopen, close, locking (in process and across processes), open failures, schema. */
import { execFile } from 'node:child_process'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect } from 'chai'
import { ClassicLevel } from 'classic-level'
import type { Logger } from '../../../identity/logger.js'
import { openStore } from '../../../node/store/open-store.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { makeTempDir, removeDir } from './temp-dir.js'

const CHILD = fileURLToPath(new URL('./open-store-child.js', import.meta.url))
const run = promisify(execFile)

async function openInChild (dir: string): Promise<{ ok: boolean, code?: string, message?: string }> {
  const { stdout } = await run(process.execPath, [CHILD, dir], { timeout: 15_000 })
  return JSON.parse(stdout.trim()) as { ok: boolean, code?: string, message?: string }
}

async function rejects (p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected a rejection')
}

function recordingLogger (lines: string[]): Logger {
  const log = (level: string) => (m: string): void => { lines.push(`${level} ${m}`) }
  const self: Logger = { namespace: 't', debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => self }
  return self
}

describe('store: openStore', () => {
  let dir: string
  beforeEach(async () => { dir = await makeTempDir('open') })
  afterEach(async () => { await removeDir(dir) })

  it('creates <dataDir>/db with mode 0700 and reports its location', async () => {
    const dataDir = join(dir, 'node-a')
    const store = await openStore(dataDir)
    try {
      expect(store.location).to.equal(join(dataDir, 'db'))
      expect((await stat(dataDir)).mode & 0o777).to.equal(0o700)
      expect((await stat(join(dataDir, 'db'))).mode & 0o777).to.equal(0o700)
    } finally {
      await store.close()
    }
  })

  it('keeps data across close and reopen; close is idempotent; use after close is STORE_CLOSED', async () => {
    const store = await openStore(dir)
    const agents = store.repository<{ name: string }>(SUBLEVELS.agents)
    await agents.put('did:key:z6MkAlice', { name: 'alice' })
    await store.batch().put(SUBLEVELS.revocations, 'bafkreiabc', { by: 'acme' }).write()
    await store.close()
    await store.close()
    expect(store.closed).to.equal(true)
    expect((await rejects(agents.get('did:key:z6MkAlice'))).code).to.equal('STORE_CLOSED')
    expect((await rejects(agents.put('x', { name: 'x' }))).code).to.equal('STORE_CLOSED')
    expect(() => store.batch()).to.throw().with.property('code', 'STORE_CLOSED')

    const again = await openStore(dir)
    try {
      expect(await again.repository<{ name: string }>(SUBLEVELS.agents).get('did:key:z6MkAlice')).to.deep.equal({ name: 'alice' })
      expect(await again.repository(SUBLEVELS.revocations).get('bafkreiabc')).to.deep.equal({ by: 'acme' })
    } finally {
      await again.close()
    }
  })

  it('a second open in the same process fails with STORE_LOCKED', async () => {
    const store = await openStore(dir)
    try {
      const err = await rejects(openStore(dir))
      expect(err.code).to.equal('STORE_LOCKED')
      expect(err.name).to.equal('StoreLockedError')
    } finally {
      await store.close()
    }
  })

  it('a second process opening the same data dir fails with STORE_LOCKED naming the dir; after close it succeeds', async () => {
    const store = await openStore(dir)
    try {
      const res = await openInChild(dir)
      expect(res.ok).to.equal(false)
      expect(res.code).to.equal('STORE_LOCKED')
      expect(res.message).to.include(dir).and.include('another trustmesh process')
    } finally {
      await store.close()
    }
    expect(await openInChild(dir)).to.deep.equal({ ok: true })
  })

  it('a data dir that cannot be created fails with STORE_OPEN_FAILED naming the dir', async () => {
    const file = join(dir, 'not-a-dir')
    await writeFile(file, 'x')
    const err = await rejects(openStore(join(file, 'data')))
    expect(err.code).to.equal('STORE_OPEN_FAILED')
    expect(err.message).to.include(join(file, 'data'))
  })

  it('a store written by a newer schema is refused with STORE_SCHEMA_UNSUPPORTED and stays unlocked', async () => {
    const store = await openStore(dir)
    await store.repository(SUBLEVELS.meta).put('store-schema', { version: 999 })
    await store.close()
    expect((await rejects(openStore(dir))).code).to.equal('STORE_SCHEMA_UNSUPPORTED')
    // The refused open released the LevelDB lock: a raw open works, and restoring the schema heals it.
    const raw = new ClassicLevel<string, string>(join(dir, 'db'))
    await raw.open()
    await raw.sublevel<string, string>(SUBLEVELS.meta, { valueEncoding: 'utf8' }).put('store-schema', JSON.stringify({ version: 1 }))
    await raw.close()
    const healed = await openStore(dir)
    await healed.close()
  })

  it('logs through the injected logger and warns about a data dir open to other users', async () => {
    const lines: string[] = []
    const { chmod } = await import('node:fs/promises')
    await chmod(dir, 0o755)
    const store = await openStore(dir, { logger: recordingLogger(lines) })
    await store.close()
    expect(lines.some(l => l.startsWith('warn') && l.includes('0700'))).to.equal(true)
    expect(lines).to.include('info store opened')
  })

  it('an aborted signal stops the open before anything is locked', async () => {
    const err = await rejects(openStore(dir, { signal: AbortSignal.abort() }))
    expect(err.name).to.equal('AbortError')
    const store = await openStore(dir)
    await store.close()
  })
})
