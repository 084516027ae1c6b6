/**
 * Bounded gossip storage (issue 15 item 2): the intake keeps at most `perPeer` records a topic from one
 * sending org and at most `perIssuer` from one issuer, whatever path they come by; records over a cap
 * are ignored (not stored, no penalty), and an honest peer's records are still accepted. Flood of
 * 1,500 validly signed records from one peer: at most 200 stored.
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTopicIntake } from '../../../node/gossip/record-intake.js'
import { RecordTopics, type RecordTopic } from '../../../node/gossip/record-topic.js'
import { openStore, type Store } from '../../../node/store/open-store.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { ok } from '../../../identity/result.js'
import { silentLogger } from '../../../identity/logger.js'
import { fakeClock } from '../../helpers/clock.js'

interface Note { issuer: string, n: number }

function noteTopic (limits: { perPeer: number, perIssuer: number }): RecordTopic<Note> {
  return {
    name: RecordTopics.trust,
    sublevel: SUBLEVELS.trustAttestations,
    maxBytes: 256,
    maxRecords: 10_000,
    limits,
    issuerOf: (v) => v.issuer,
    validate: (record) => {
      const v = JSON.parse(record) as Note
      return ok({ id: `${v.issuer}/${v.n}`, value: v })
    }
  }
}

describe('record intake caps per peer and per issuer', () => {
  let dir: string
  let store: Store
  beforeEach(async () => { dir = mkdtempSync(join(tmpdir(), 'tm-caps-')); store = await openStore(dir) })
  afterEach(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }) })

  it('a flood of 1,500 valid records from one peer stores at most 200 (per-peer cap); an honest peer is still served', async () => {
    const intake = createTopicIntake(noteTopic({ perPeer: 200, perIssuer: 100 }), { store, clock: fakeClock(), logger: silentLogger() })
    const statuses = new Map<string, number>()
    for (let i = 0; i < 1_500; i++) {
      // mallory signs with fifteen keys, a hundred records each
      const out = await intake.offer(JSON.stringify({ issuer: `key-${i % 15}`, n: i }), 'did:org:mallory')
      statuses.set(out.status === 'ignored' ? out.error.code : out.status, (statuses.get(out.status === 'ignored' ? out.error.code : out.status) ?? 0) + 1)
    }
    let stored = 0
    for await (const _ of intake.repo.keys()) stored++
    expect(stored).to.equal(200)
    expect(statuses.get('accepted')).to.equal(200)
    expect(statuses.get('PEER_QUOTA_EXCEEDED')).to.equal(1_300)
    // the flood is visible to an operator: counted as ignored (metrics: direction="ignored")
    expect(intake.counters.ignored).to.equal(1_300)
    const honest = await intake.offer(JSON.stringify({ issuer: 'did:org:globex', n: 1 }), 'did:org:globex')
    expect(honest.status).to.equal('accepted')
  })

  it('one issuer cannot fill the store through several peers (per-issuer cap), and the counts survive a restart', async () => {
    const topic = noteTopic({ perPeer: 1_000, perIssuer: 50 })
    const intake = createTopicIntake(topic, { store, clock: fakeClock(), logger: silentLogger() })
    for (let i = 0; i < 120; i++) await intake.offer(JSON.stringify({ issuer: 'key-x', n: i }), i % 2 === 0 ? 'did:org:a' : 'did:org:b')
    const again = createTopicIntake(topic, { store, clock: fakeClock(), logger: silentLogger() })
    const out = await again.offer(JSON.stringify({ issuer: 'key-x', n: 999 }), 'did:org:c')
    expect(out.status).to.equal('ignored')
    expect(out.status === 'ignored' ? out.error.code : '').to.equal('ISSUER_QUOTA_EXCEEDED')
    let stored = 0
    for await (const _ of again.repo.keys()) stored++
    expect(stored).to.equal(50)
  })

  it('offers at once cannot pass a cap together: the slot is reserved before the write, and released when the write fails', async () => {
    const intake = createTopicIntake(noteTopic({ perPeer: 3, perIssuer: 2 }), { store, clock: fakeClock(), logger: silentLogger() })
    const outs = await Promise.all(Array.from({ length: 20 }, async (_, i) => await intake.offer(JSON.stringify({ issuer: `key-${i % 2}`, n: i }), 'did:org:mallory')))
    expect(outs.filter(o => o.status === 'accepted')).to.have.length(3)
    let stored = 0
    for await (const _ of intake.repo.keys()) stored++
    expect(stored).to.equal(3)

    // a write that fails gives its reserved slot back
    let failing = true
    const flaky = { ...store, repository: store.repository.bind(store), batch: () => { const b = store.batch(); const write = b.write.bind(b); return Object.assign(b, { write: async () => { if (failing) throw new Error('injected: disk full'); await write() } }) } }
    const second = createTopicIntake(noteTopic({ perPeer: 1, perIssuer: 1 }), { store: flaky, clock: fakeClock(), logger: silentLogger() })
    const lost = await second.offer(JSON.stringify({ issuer: 'did:org:globex', n: 1 }), 'did:org:globex').catch((err: Error) => err)
    expect(lost).to.be.instanceOf(Error)
    failing = false
    expect((await second.offer(JSON.stringify({ issuer: 'did:org:globex', n: 2 }), 'did:org:globex')).status).to.equal('accepted')
  })
})
