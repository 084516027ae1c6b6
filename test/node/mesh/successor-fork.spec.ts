/**
 * A key names one successor (DESIGN.md 14): once acme -> acme2 is known, a later record acme -> thief
 * (signed by the retired key, stolen or not, and countersigned by the thief) is not followed in hello,
 * enrols nothing, and the successor topic neither keeps nor forwards it (SUCCESSOR_CONFLICT).
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
import { registerSuccessorTopic } from '../../../node/mesh/successor-topic.js'
import type { AuditRecorder } from '../../../node/components.js'
import type { RecordGossip } from '../../../node/gossip/index.js'
import { fakeClock } from '../../helpers/clock.js'
import { acme, initech, principal } from '../../helpers/principals.js'

const acme2 = principal('acme-2')
const thief = principal('thief')

describe('successor records: a key names one successor', () => {
  let dir: string
  let store: Store
  beforeEach(async () => { dir = mkdtempSync(join(tmpdir(), 'tm-fork-')); store = await openStore(dir) })
  afterEach(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }) })

  it('after acme -> acme2, a later acme -> thief is not followed and enrols nothing; the topic refuses it', async () => {
    const clock = fakeClock()
    const enrolments = new Enrolments(store.repository<Enrolment>(SUBLEVELS.peers), initech.did)
    await enrolments.load()
    const audit = { record: async () => ({ ok: true as const, value: undefined }), size: () => 0 } as unknown as AuditRecorder
    const book = new SuccessorBook({ repo: store.repository<StoredSuccessor>(SUBLEVELS.successors), enrolments, clock, logger: silentLogger(), audit: () => audit })
    await book.load()
    await enrolments.add({ orgDid: acme.did, name: 'acme', maxRing: 2, preTrusted: true } as never, 1)
    const legit = await issueSuccessorRecord(acme, acme2, clock)
    expect(book.follow(acme2.did, [legit])?.orgDid).to.equal(acme2.did)
    await book.settled()
    clock.advance(3600_000)
    const fork = await issueSuccessorRecord(acme, thief, clock)
    expect(book.follow(thief.did, [fork]), 'hello from thief accepted as acme').to.equal(undefined)
    await book.settled()
    expect(enrolments.get(thief.did)).to.equal(undefined)
    expect(book.current(acme.did)).to.equal(acme2.did)

    let validate: ((r: string) => { ok: boolean, error?: { code: string } }) | undefined
    registerSuccessorTopic({ register: (t: { validate: typeof validate }) => { validate = t.validate } } as unknown as RecordGossip, book)
    const v = (validate as NonNullable<typeof validate>)(fork)
    expect(v.ok ? 'kept' : v.error?.code).to.equal('SUCCESSOR_CONFLICT')
    expect((validate as NonNullable<typeof validate>)(legit).ok).to.equal(true)
  })
})
