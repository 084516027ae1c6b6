/**
 * The task path's memories (issue 17): each saves work that every task repeated (a store listing, a
 * signature check, a decode, a synced write), never a check. Each test fails without its memory.
 */
import { expect } from 'chai'
import { MemoryRepository } from '../../../node/store/memory-repository.js'
import type { PutOptions, ListOptions } from '../../../node/store/repository.js'
import { AgentRegistry, type AgentRecord } from '../../../node/services/agents/agent-registry.js'
import { VerifiedCredentials } from '../../../node/services/delegation/verified-credentials.js'
import { ElevationBook, type StoredElevation } from '../../../node/services/approvals/elevation-book.js'
import { EvidenceStore } from '../../../node/services/trust/evidence-store.js'
import type { EvidenceRecord } from '../../../trust/index.js'
import { decodeLink, linkDecodes } from '../../../node/services/delegation/decoded-links.js'
import { ReplayGuard } from '../../../node/services/delegation/replay-guard.js'
import { issueAgentCredential } from '../../../identity/credentials.js'
import { issueAcceptance } from '../../../identity/agent-acceptance.js'
import { issueDelegation } from '../../../identity/ucan/index.js'
import { issueElevation } from '../../../authz/index.js'
import { silentLogger } from '../../../identity/logger.js'
import { fakeClock } from '../../helpers/clock.js'
import { acme, alice, bob, carol, globex } from '../../helpers/principals.js'

/** A memory repository that counts listings and synced writes. */
class CountingRepository<T> extends MemoryRepository<T> {
  lists = 0
  synced = 0
  override async list (options?: ListOptions): Promise<Array<[string, T]>> {
    this.lists++
    return await super.list(options)
  }

  override async put (key: string, value: T, options?: PutOptions): Promise<void> {
    if (options?.sync !== false) this.synced++
    await super.put(key, value, options)
  }
}

describe('task path memories', () => {
  it('agent registry: lookups by DID list the records once, and a removed agent is gone', async () => {
    const repo = new CountingRepository<AgentRecord>('agents')
    const registry = new AgentRegistry({ repo, orgSigner: acme, clock: fakeClock() })
    await registry.create({ name: 'alice', did: alice.did, ring: 2, capabilities: ['records/read'] })
    await registry.create({ name: 'bob', did: bob.did, ring: 2, capabilities: ['records/read'] })
    const before = repo.lists
    for (let i = 0; i < 100; i++) {
      expect((await registry.get(alice.did))?.name).to.equal('alice')
      expect(await registry.get(carol.did)).to.equal(undefined)
    }
    expect(repo.lists - before, 'listings for 200 lookups by DID').to.be.at.most(1)
    await registry.create({ name: 'carol', did: carol.did, ring: 3, capabilities: ['records/read'] })
    expect((await registry.get(carol.did))?.name, 'created after the index was built').to.equal('carol')
    await registry.remove('alice')
    expect(await registry.get(alice.did)).to.equal(undefined)
    expect((await registry.get('bob'))?.did).to.equal(bob.did)
  })

  it('agent registry: a registry over existing records finds them by DID', async () => {
    const repo = new CountingRepository<AgentRecord>('agents')
    await new AgentRegistry({ repo, orgSigner: acme, clock: fakeClock() }).create({ name: 'alice', did: alice.did, ring: 2, capabilities: ['records/read'] })
    const again = new AgentRegistry({ repo, orgSigner: acme, clock: fakeClock() })
    expect((await again.get(alice.did))?.name).to.equal('alice')
  })

  it('verified credentials: 100 checks of one credential are one signature check; time and issuer still decide', async () => {
    const clock = fakeClock()
    const jwt = await issueAgentCredential(acme, { agentDid: alice.did, name: 'alice', ring: 2, capabilities: ['records/read'] }, { clock, ttlSeconds: 3600 })
    const memo = new VerifiedCredentials(clock)
    for (let i = 0; i < 100; i++) expect(memo.verify(jwt, [acme.did]).ok).to.equal(true)
    expect(memo.verifications).to.equal(1)
    // an issuer no longer trusted: refused at once, from memory or not
    expect(memo.verify(jwt, [globex.did]).ok).to.equal(false)
    // past its expiry: the full check runs and refuses
    clock.advance(3600_000 + 120_000)
    const late = memo.verify(jwt, [acme.did])
    expect(late.ok).to.equal(false)
    expect(late.ok ? '' : late.error.code).to.equal('EXPIRED')
  })

  it('verified credentials: an acceptance verified once is remembered for exactly its inputs', async () => {
    const clock = fakeClock()
    const jwt = await issueAgentCredential(acme, { agentDid: alice.did, name: 'alice', ring: 2, capabilities: ['records/read'] }, { clock, ttlSeconds: 3600 })
    const acc = await issueAcceptance(alice, jwt, acme.did, Math.floor(clock.now() / 1000))
    const memo = new VerifiedCredentials(clock)
    for (let i = 0; i < 50; i++) expect(memo.acceptance(acc, jwt, alice.did, acme.did).ok).to.equal(true)
    expect(memo.verifications).to.equal(1)
    expect(memo.acceptance(acc, jwt, alice.did, globex.did).ok, 'another org').to.equal(false)
    expect(memo.acceptance(acc, jwt, bob.did, acme.did).ok, 'another agent').to.equal(false)
  })

  it('elevation book: ringOf for 100 tasks lists the store once; an elevation added later applies', async () => {
    const clock = fakeClock()
    const repo = new CountingRepository<StoredElevation>('elevations')
    const book = new ElevationBook({ repo, org: acme.did, clock })
    for (let i = 0; i < 100; i++) expect((await book.ringOf(alice.did, 2)).ring).to.equal(2)
    expect(repo.lists).to.equal(1)
    await book.add(await issueElevation(acme, { agent: alice.did, ring: 1, ttlSeconds: 600, reason: 'quarter close' }, clock))
    expect((await book.ringOf(alice.did, 2)).ring).to.equal(1)
    expect(repo.lists).to.equal(1)
    // a book opened on the same store sees it
    expect((await new ElevationBook({ repo, org: acme.did, clock }).ringOf(alice.did, 2)).ring).to.equal(1)
    clock.advance(3600_000)
    expect(await book.prune()).to.equal(1)
    expect((await book.ringOf(alice.did, 2)).ring).to.equal(2)
    expect(await book.valid()).to.deep.equal([])
  })

  it('trust evidence: 100 records cause no synced write (the audit entry is the durable one)', async () => {
    const repo = new CountingRepository<EvidenceRecord>('trust-evidence')
    const store = new EvidenceStore({ repo, logger: silentLogger() })
    for (let i = 0; i < 100; i++) {
      await store.add({ receiptCid: `receipt-${i}`, executorOrg: acme.did, subjectAgent: bob.did, subjectOrg: globex.did, outcome: 'ok', at: Date.UTC(2026, 0, 1) + i })
    }
    expect(store.size).to.equal(100)
    expect(repo.synced).to.equal(0)
  })

  it('replay guard: 100 concurrent tasks share synced batches; each resolves once its keys are written; a failed batch fails its records', async () => {
    const written = new Map<string, number>()
    let batches = 0
    let fail = false
    const repo = new MemoryRepository<number>('nonces')
    const guard = new ReplayGuard(repo, {
      commit: async (entries) => {
        batches++
        await new Promise(resolve => setTimeout(resolve, 5))
        if (fail) throw new Error('disk full')
        for (const [k, v] of entries) written.set(k, v)
      }
    })
    const results = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
      const ok = await guard.record([`nonce-${i}`, `cid-${i}`], Date.UTC(2026, 0, 1))
      // durable before it resolves
      expect(written.has(`nonce-${i}`) && written.has(`cid-${i}`)).to.equal(true)
      return ok
    }))
    expect(results.every(r => r)).to.equal(true)
    expect(batches, 'synced batches for 100 concurrent records').to.be.lessThan(10)
    expect(await guard.record(['nonce-7'], Date.UTC(2026, 0, 1)), 'a key seen before').to.equal(false)
    fail = true
    const failed = await Promise.allSettled([guard.record(['nonce-a'], 0), guard.record(['nonce-b'], 0)])
    expect(failed.every(r => r.status === 'rejected')).to.equal(true)
    expect(guard.seen('nonce-a'), 'a key whose write failed stays refused (fail closed)').to.equal(true)
  })

  it('decoded links: a link decoded once is not decoded again', async () => {
    const d = await issueDelegation(acme, { audience: alice.did, capabilities: { [`tm:${acme.did}/records`]: { 'records/read': [{}] } }, expiration: Math.floor(Date.now() / 1000) + 3600, nonce: 'hot-path-memory' })
    const first = decodeLink(d.jwt)
    expect(first.ok).to.equal(true)
    const n = linkDecodes()
    for (let i = 0; i < 100; i++) expect(decodeLink(d.jwt)).to.equal(first)
    expect(linkDecodes()).to.equal(n)
    expect(decodeLink('not.a.jwt').ok).to.equal(false)
  })
})
