/** Offline verification: tampering in LevelDB and cut tails are caught; bundles verify and break on any byte. */
import { expect } from 'chai'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { AuditLog, entryKey } from '../../audit/audit-log.js'
import { cosignCheckpoint, originForDid, signCheckpoint } from '../../audit/checkpoint.js'
import { exportBundle, verifyBundle } from '../../audit/bundle.js'
import { verifyLog } from '../../audit/verify-log.js'
import { acme, globex, initech, mallory } from '../helpers/principals.js'
import { fakeClock } from '../helpers/clock.js'

const origin = originForDid(acme.did)
const cosigners = [{ name: 'witness/globex', publicKeyOrDid: globex.did }, { name: 'witness/initech', publicKeyOrDid: initech.did }]
const ENC = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const

describe('audit/verify-log and bundles', () => {
  let dir: string
  let db: Level<string, string>
  let log: AuditLog

  async function checkpoint (): Promise<string> {
    let text = await signCheckpoint(acme, { origin, size: log.size(), root: log.root() })
    text = await cosignCheckpoint(text, globex, 'witness/globex')
    return await cosignCheckpoint(text, initech, 'witness/initech')
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustmesh-auditv-'))
    db = new Level<string, string>(join(dir, 'db'))
    await db.open()
    const clock = fakeClock()
    log = await AuditLog.open({ store: db.sublevel('audit'), clock })
    for (let i = 0; i < 13; i++) {
      await log.append({ kind: i % 3 === 0 ? 'task.deny' : 'task.allow', subject: `did:key:agent${i}`, details: { task: `t${i}` } })
      clock.advance(250)
    }
  })

  afterEach(async () => {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('accepts an untouched log with its signed, cosigned checkpoint', async () => {
    const cp = await checkpoint()
    const r = await verifyLog(log, cp, { cosigners })
    expect(r.ok ? r.value.cosigners : r.error).to.deep.equal(['witness/globex', 'witness/initech'])
    const raw = await verifyLog(await log.rawEntries(), cp, { cosigners, origin, publicKeyOrDid: acme.did })
    expect(raw.ok).to.equal(true)
    // Entries appended after the checkpoint are fine.
    await log.append({ kind: 'approval', subject: 'later' })
    const later = await verifyLog(log, cp, { cosigners })
    expect(later.ok ? later.value.entries : later.error).to.equal(14)
  })

  it('fails ROOT_MISMATCH when an entry is edited in LevelDB', async () => {
    const cp = await checkpoint()
    const audit = db.sublevel('audit')
    const stored = await audit.get(entryKey(4), ENC)
    expect(stored).to.be.a('string')
    await audit.put(entryKey(4), (stored as string).replace('task.allow', 'task.deny'), ENC)
    const r = await verifyLog(log, cp, { cosigners })
    expect(r.ok ? '' : r.error.code).to.equal('ROOT_MISMATCH')
  })

  it('fails TRUNCATED when the tail is cut (last entry deleted in LevelDB, or fewer raw entries than the checkpoint)', async () => {
    const cp = await checkpoint()
    const audit = db.sublevel('audit')
    await audit.del(entryKey(12), ENC)
    const r = await verifyLog(log, cp, { cosigners })
    expect(r.ok ? '' : r.error.code).to.equal('TRUNCATED')
    const cut = (await log.rawEntries(12))
    const raw = await verifyLog(cut, cp, { cosigners })
    expect(raw.ok ? '' : raw.error.code).to.equal('TRUNCATED')
  })

  it('fails TRUNCATED when the tail is cut and the tree state is rewritten to match, then reopened', async () => {
    const cp = await checkpoint()
    const audit = db.sublevel('audit')
    // 12 = 8 + 4: the honest compact range of the first 12 leaves is two stored subtrees.
    const frontier = [await audit.get('n:03:0000000000000', ENC), await audit.get('n:02:0000000000002', ENC)]
    expect(frontier.every((h) => typeof h === 'string')).to.equal(true)
    await audit.batch([
      { type: 'del', key: entryKey(12) },
      { type: 'put', key: 'state', value: JSON.stringify({ size: 12, frontier }) }
    ], ENC)
    const reopened = await AuditLog.open({ store: audit, clock: fakeClock() })
    expect(reopened.size()).to.equal(12)
    const r = await verifyLog(reopened, cp, { cosigners })
    expect(r.ok ? '' : r.error.code).to.equal('TRUNCATED')
  })

  it('fails on a checkpoint signed by the wrong key or missing a cosignature', async () => {
    const forged = await signCheckpoint(mallory, { origin, size: log.size(), root: log.root() })
    const r = await verifyLog(log, forged, { cosigners: [] })
    expect(r.ok ? '' : r.error.code).to.equal('BAD_CHECKPOINT_SIGNATURE')
    const unsigned = await signCheckpoint(acme, { origin, size: log.size(), root: log.root() })
    const m = await verifyLog(log, unsigned, { cosigners })
    expect(m.ok ? '' : m.error.code).to.equal('MISSING_COSIGNATURE')
  })

  it('exports a bundle that verifies offline, and fails after any one byte of any file changes', async function () {
    this.timeout(60000)
    const cp = await checkpoint()
    const out = join(dir, 'bundle')
    await exportBundle(log, out, { checkpoint: cp, did: acme.did, cosigners: [{ name: 'witness/globex', did: globex.did }, { name: 'witness/initech', did: initech.did }] })
    const good = await verifyBundle(out)
    expect(good.ok ? good.value.checkpoint.size : good.error).to.equal(13)
    expect((await verifyBundle(out, { did: acme.did, cosigners })).ok).to.equal(true)
    const pinned = await verifyBundle(out, { did: mallory.did })
    expect(pinned.ok ? '' : pinned.error.code).to.equal('DID_MISMATCH')

    const files = (await readdir(out)).sort()
    expect(files).to.deep.equal(['checkpoint.txt', 'cosigners.json', 'entries.jsonl', 'log-key.json', 'manifest.json', 'proofs.json'])
    for (const name of files) {
      const original = await readFile(join(out, name))
      // Every byte of small files; a spread of positions in big ones to keep the test fast.
      const step = Math.max(1, Math.floor(original.length / 97))
      for (let i = 0; i < original.length; i += step) {
        const copy = Buffer.from(original)
        copy[i] ^= 0x20
        await writeFile(join(out, name), copy)
        const r = await verifyBundle(out)
        expect(r.ok, `${name} byte ${i}`).to.equal(false)
      }
      await writeFile(join(out, name), original)
    }
    expect((await verifyBundle(out)).ok).to.equal(true)
  })

  it('still catches a changed entry when the manifest is rewritten to match', async () => {
    const cp = await checkpoint()
    const out = join(dir, 'bundle')
    await exportBundle(log, out, { checkpoint: cp, did: acme.did, cosigners: [{ name: 'witness/globex', did: globex.did }, { name: 'witness/initech', did: initech.did }] })
    const entries = (await readFile(join(out, 'entries.jsonl'), 'utf8')).replace('"t5"', '"t6"')
    await writeFile(join(out, 'entries.jsonl'), entries)
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { files: Record<string, string> }
    const { createHash } = await import('node:crypto')
    manifest.files['entries.jsonl'] = createHash('sha256').update(entries).digest('hex')
    const { canonicalJson } = await import('../../audit/entry.js')
    await writeFile(join(out, 'manifest.json'), canonicalJson(manifest) + '\n')
    const r = await verifyBundle(out)
    expect(r.ok ? '' : r.error.code).to.equal('ROOT_MISMATCH')
    await rm(join(out, 'proofs.json'))
    const gone = await verifyBundle(out)
    expect(gone.ok ? '' : gone.error.code).to.equal('BUNDLE_INCOMPLETE')
  })
})
