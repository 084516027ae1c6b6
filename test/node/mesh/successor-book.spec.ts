/**
 * The successor book over a real store: a partner's hello signed by its new org DID is followed from
 * the DID we enrolled through its successor records; the new DID is enrolled with the old one's
 * settings and the old enrolment is kept beside it (what the old key signed before the rotation stays
 * verifiable), the follow is audited, and the records persist. Records that lead nowhere we enrolled,
 * or that do not verify, are not followed. successorsOf/retiredAt answer for rotation chains.
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, type Store } from '../../../node/store/open-store.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { silentLogger } from '../../../identity/logger.js'
import { issueSuccessorRecord } from '../../../identity/successor-record.js'
import { Enrolments, type Enrolment } from '../../../node/mesh/enrolments.js'
import { SuccessorBook, type StoredSuccessor } from '../../../node/mesh/successor-book.js'
import type { AuditRecorder } from '../../../node/components.js'
import { fakeClock } from '../../helpers/clock.js'
import { acme, globex, initech, mallory, principal } from '../../helpers/principals.js'

const acme2 = principal('acme-2')
const acme3 = principal('acme-3')

describe('SuccessorBook: following a partner\'s org key rotation', () => {
  let dir: string
  let store: Store
  beforeEach(async () => { dir = mkdtempSync(join(tmpdir(), 'tm-succ-')); store = await openStore(dir) })
  afterEach(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }) })

  const open = async (): Promise<{ book: SuccessorBook, enrolments: Enrolments, audited: Array<{ kind: string, subject?: string, reason?: string, details?: unknown }> }> => {
    const enrolments = new Enrolments(store.repository<Enrolment>(SUBLEVELS.peers), initech.did)
    await enrolments.load()
    const audited: Array<{ kind: string, subject?: string, reason?: string, details?: unknown }> = []
    const audit = { record: async (e: { kind: string, subject?: string, reason?: string, details?: unknown }) => { audited.push(e); return { ok: true as const, value: undefined } } } as unknown as AuditRecorder
    const book = new SuccessorBook({ repo: store.repository<StoredSuccessor>(SUBLEVELS.successors), enrolments, clock: fakeClock(), logger: silentLogger(), audit: () => audit })
    await book.load()
    return { book, enrolments, audited }
  }

  it('follows two rotations from the enrolled DID: the new DID is enrolled with its settings, the old enrolments are kept, audited, persisted', async () => {
    const clock = fakeClock()
    const r1 = await issueSuccessorRecord(acme, acme2, clock)
    clock.advance(60_000)
    const r2 = await issueSuccessorRecord(acme2, acme3, clock)
    const { book, enrolments, audited } = await open()
    await enrolments.add({ orgDid: acme.did, name: 'acme', maxRing: 2, preTrusted: true, addrs: ['/ip4/127.0.0.1/tcp/4001'] }, 1)
    const e = book.follow(acme3.did, [r1, r2])
    expect(e?.orgDid).to.equal(acme3.did)
    await book.settled()
    expect(enrolments.get(acme.did), 'the old enrolment is kept').to.include({ orgDid: acme.did, maxRing: 2 })
    expect(enrolments.get(acme3.did)).to.include({ name: 'acme', maxRing: 2, preTrusted: true })
    expect(audited.map(a => [a.kind, a.subject, a.reason])).to.deep.equal([['enrolment', acme3.did, 'successor']])
    expect(book.successorsOf(acme.did)).to.deep.equal([acme2.did, acme3.did])
    expect(book.retiredAt(acme.did)).to.be.a('number')
    expect(book.retiredAt(acme3.did)).to.equal(undefined)
    // after a restart: the records and both enrolments are still there
    const again = await open()
    expect(again.book.successorsOf(acme.did)).to.deep.equal([acme2.did, acme3.did])
    expect(again.enrolments.list().map(x => x.orgDid)).to.include.members([acme.did, acme3.did])
  })

  it('does not follow records that lead to no enrolled DID, nor a record the successor did not countersign', async () => {
    const clock = fakeClock()
    const { book, enrolments, audited } = await open()
    await enrolments.add({ orgDid: globex.did }, 1)
    expect(book.follow(acme2.did, [await issueSuccessorRecord(acme, acme2, clock)])).to.equal(undefined)
    // mallory names globex's key as its successor without globex's countersignature: the record fails
    const forged = await issueSuccessorRecord(globex, mallory, clock)
    const parts = forged.split('.')
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as Record<string, unknown>
    payload.sub = acme2.did
    const tampered = [parts[0], Buffer.from(JSON.stringify(payload)).toString('base64url'), parts[2]].join('.')
    expect(book.follow(acme2.did, [tampered])).to.equal(undefined)
    await book.settled()
    expect(audited).to.have.length(0)
    expect(enrolments.get(acme2.did)).to.equal(undefined)
  })
})
