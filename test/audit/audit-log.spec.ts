/** The LevelDB audit log: atomic synced appends, reopening, proofs from stored subtrees, fail-closed. */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { AuditLog, AuditUnavailableError, type AuditStore } from '../../audit/audit-log.js'
import { encodeEntry } from '../../audit/entry.js'
import { consistencyProof, hashLeaf, inclusionProof, rootHash, verifyConsistency, verifyInclusion } from '../../audit/merkle.js'
import { fakeClock } from '../helpers/clock.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('audit/audit-log', () => {
  let dir: string
  let db: Level<string, string>

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustmesh-audit-'))
    db = new Level<string, string>(join(dir, 'db'), { valueEncoding: 'json' })
    await db.open()
  })

  afterEach(async () => {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })

  async function filled (store: AuditStore, n: number): Promise<AuditLog> {
    const clock = fakeClock()
    const log = await AuditLog.open({ store, clock })
    for (let i = 0; i < n; i++) {
      await log.append({ kind: i % 2 === 0 ? 'task.allow' : 'task.deny', subject: `did:key:agent${i}`, ...(i % 2 === 1 ? { reason: 'POLICY_DENY' } : {}), details: { i } })
      clock.advance(1000)
    }
    return log
  }

  it('assigns seq = index and the clock time, and returns the leaf hash of the canonical bytes', async () => {
    const clock = fakeClock()
    const log = await AuditLog.open({ store: db, clock })
    const a = await log.append({ kind: 'enrolment', subject: 'did:key:org', details: { ring: 1 } })
    clock.advance(5)
    const b = await log.append({ kind: 'task.deny', subject: 'did:key:agent', reason: 'EXPIRED' })
    expect([a.index, b.index]).to.deep.equal([0, 1])
    expect(b.entry).to.deep.equal({ seq: 1, time: clock.now(), kind: 'task.deny', subject: 'did:key:agent', reason: 'EXPIRED', details: {} })
    expect(hex(b.leafHash)).to.equal(hex(hashLeaf(encodeEntry(b.entry))))
    expect(hex(log.root())).to.equal(hex(rootHash([a.leafHash, b.leafHash])))
    expect(await log.get(1)).to.deep.equal(b.entry)
    expect(await log.get(2)).to.equal(undefined)
  })

  it('keeps the root, entries and proofs equal to a from-scratch tree at every size', async () => {
    const clock = fakeClock()
    const log = await AuditLog.open({ store: db.sublevel('audit'), clock })
    const leaves: Uint8Array[] = []
    for (let n = 1; n <= 34; n++) {
      const r = await log.append({ kind: 'approval', subject: `s${n}` })
      leaves.push(r.leafHash)
      expect(hex(log.root()), `size ${n}`).to.equal(hex(rootHash(leaves)))
    }
    for (const size of [1, 2, 5, 8, 13, 16, 17, 33, 34]) {
      const root = rootHash(leaves.slice(0, size))
      expect(hex(await log.rootAt(size))).to.equal(hex(root))
      for (let i = 0; i < size; i++) {
        const proof = await log.inclusionProof(i, size)
        expect(proof.map(hex), `${i}/${size}`).to.deep.equal(inclusionProof(leaves, i, size).map(hex))
        expect(verifyInclusion(leaves[i], i, size, proof, root)).to.equal(true)
      }
      for (let m = 1; m <= size; m++) {
        const proof = await log.consistencyProof(m, size)
        expect(proof.map(hex), `${m}->${size}`).to.deep.equal(consistencyProof(leaves, m, size).map(hex))
        expect(verifyConsistency(m, size, rootHash(leaves.slice(0, m)), root, proof)).to.equal(true)
      }
    }
  })

  it('survives close and reopen with the same size, root and entries', async () => {
    const log = await filled(db, 11)
    const root = hex(log.root())
    const entries = await log.entries()
    await db.close()
    db = new Level<string, string>(join(dir, 'db'), { valueEncoding: 'json' })
    await db.open()
    const again = await AuditLog.open({ store: db, clock: fakeClock() })
    expect(again.size()).to.equal(11)
    expect(hex(again.root())).to.equal(root)
    expect(await again.entries()).to.deep.equal(entries)
    expect(await again.entries({ since: 9 })).to.deep.equal(entries.slice(9))
    expect(await again.entries({ since: 2, limit: 3 })).to.deep.equal(entries.slice(2, 5))
    const next = await again.append({ kind: 'revocation', subject: 'x' })
    expect(next.index).to.equal(11)
  })

  it('throws AuditUnavailableError and does not advance when the store is closed', async () => {
    const log = await filled(db, 3)
    const root = hex(log.root())
    await db.close()
    let caught: unknown
    try {
      await log.append({ kind: 'task.allow', subject: 'did:key:late' })
    } catch (err) {
      caught = err
    }
    expect(caught).to.be.instanceOf(AuditUnavailableError)
    expect((caught as AuditUnavailableError).code).to.equal('AUDIT_UNAVAILABLE')
    expect(log.size()).to.equal(3)
    expect(hex(log.root())).to.equal(root)
    await db.open()
  })

  it('throws AuditUnavailableError when the batch itself fails, and keeps working afterwards', async () => {
    let failNext = true
    const flaky: AuditStore = {
      get status () { return db.status },
      get: async (k, o) => await db.get(k, o),
      batch: async (ops, o) => {
        if (failNext) { failNext = false; throw new Error('disk full') }
        await db.batch(ops, o)
      }
    }
    const log = await AuditLog.open({ store: flaky, clock: fakeClock() })
    let caught: unknown
    try { await log.append({ kind: 'task.allow', subject: 'a' }) } catch (err) { caught = err }
    expect(caught).to.be.instanceOf(AuditUnavailableError)
    expect(log.size()).to.equal(0)
    const r = await log.append({ kind: 'task.allow', subject: 'b' })
    expect(r.index).to.equal(0)
  })

  it('writes everything of an append in one synced batch', async () => {
    const calls: Array<{ keys: string[], sync: boolean }> = []
    const spy: AuditStore = {
      get status () { return db.status },
      get: async (k, o) => await db.get(k, o),
      batch: async (ops, o) => { calls.push({ keys: ops.map((op) => op.key), sync: o.sync }); await db.batch(ops, o) }
    }
    const log = await AuditLog.open({ store: spy, clock: fakeClock() })
    for (let i = 0; i < 4; i++) await log.append({ kind: 'approval', subject: 's' })
    expect(calls).to.have.length(4)
    expect(calls.every((c) => c.sync)).to.equal(true)
    // The 4th leaf completes subtrees at levels 0, 1 and 2.
    expect(calls[3].keys).to.deep.equal(['e:0000000000003', 'n:00:0000000000003', 'n:01:0000000000001', 'n:02:0000000000000', 'state'])
  })

  it('serialises concurrent appends', async () => {
    const log = await AuditLog.open({ store: db, clock: fakeClock() })
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => await log.append({ kind: 'task.pending', subject: `t${i}` })))
    expect(results.map((r) => r.index).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i))
    expect(hex(log.root())).to.equal(hex(rootHash((await log.rawEntries()).map(hashLeaf))))
  })
})
