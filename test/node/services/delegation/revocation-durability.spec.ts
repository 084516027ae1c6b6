/**
 * A revocation accepted by the record intake is never lost (issue 15 item 4): the raw record and the
 * RevocationBook's index are written in one synced batch, so a failed write stores neither and the
 * record is accepted again when it is delivered again; after a restart the revoked link stays revoked.
 */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cidOfJwt, issueDelegation, issueRevocation } from '../../../../identity/ucan/index.js'
import { openStore, type Store } from '../../../../node/store/index.js'
import type { StoreBatch } from '../../../../node/store/batch.js'
import type { Repository } from '../../../../node/store/repository.js'
import { SUBLEVELS as Sublevel, type SublevelName } from '../../../../node/store/sublevels.js'
import { silentLogger } from '../../../../identity/logger.js'
import { createTopicIntake } from '../../../../node/gossip/record-intake.js'
import type { RecordTopic } from '../../../../node/gossip/record-topic.js'
import { createDelegationService, type DelegationComponents, type DelegationService } from '../../../../node/services/delegation/delegation-service.js'
import { fakeClock } from '../../../helpers/clock.js'
import { acme, alice, bob, globex } from '../../../helpers/principals.js'

/** The store, with every write that touches the revocation index failing while `failing` is set. */
function faultyStore (store: Store, state: { failing: boolean }): Store {
  const touches = (name: SublevelName): boolean => name === Sublevel.revocations
  return {
    ...store,
    repository: <T>(name: SublevelName): Repository<T> => {
      const repo = store.repository<T>(name)
      if (!touches(name)) return repo
      return Object.assign(Object.create(repo) as Repository<T>, {
        put: async (...args: Parameters<Repository<T>['put']>) => {
          if (state.failing) throw new Error('injected: index write failed')
          return await repo.put(...args)
        }
      })
    },
    batch: (): StoreBatch => {
      const inner = store.batch()
      let hit = false
      const b: StoreBatch = {
        get length () { return inner.length },
        put: (name, key, value) => { hit ||= touches(name); inner.put(name, key, value); return b },
        del: (name, key) => { hit ||= touches(name); inner.del(name, key); return b },
        write: async () => {
          if (hit && state.failing) throw new Error('injected: index write failed')
          await inner.write()
        }
      }
      return b
    }
  }
}

function delegationOver (store: Store, clock: ReturnType<typeof fakeClock>): { service: DelegationService, topic: RecordTopic<unknown> } {
  let topic: RecordTopic<unknown> | undefined
  const ctx = {
    clock,
    logger: silentLogger(),
    identity: { orgDid: acme.did },
    orgSigner: acme,
    store,
    enrolments: { list: () => [] },
    gossip: { register: (t: RecordTopic<unknown>) => { topic = t } },
    agents: { list: async () => [] },
    audit: { record: async () => ({ ok: true, value: undefined }) },
    mesh: {}
  } as unknown as DelegationComponents
  const service = createDelegationService(ctx)
  if (topic == null) throw new Error('the delegation service registered no revocation topic')
  return { service, topic }
}

describe('delegation: a revocation survives a failed index write and a restart', () => {
  let dir: string
  let store: Store
  const clock = fakeClock(Date.now())
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'tm-revoc-')); store = await openStore(dir) })
  afterEach(async () => { await store.close(); await rm(dir, { recursive: true, force: true }) })

  it('a write failure between accepting a revocation and indexing it loses nothing', async () => {
    const link = await issueDelegation(alice, { audience: bob.did, capabilities: { [`tm:${acme.did}/records`]: { 'records/read': [{}] } }, expiration: Math.floor(clock.now() / 1000) + 3600, nonce: 'l1', proofs: [] })
    const cid = cidOfJwt(link.jwt)
    const jwt = await issueRevocation(alice, cid, clock)
    const state = { failing: true }
    const faulty = faultyStore(store, state)
    const first = delegationOver(faulty, clock)
    const intake = createTopicIntake(first.topic, { store: faulty, clock, logger: silentLogger() })
    const outcome = await intake.offer(jwt, globex.did).catch((err: Error) => err)
    // the node may not answer "accepted" for what it could not store
    expect(outcome instanceof Error || outcome.status !== 'accepted').to.equal(true)

    // restart: a fresh store handle and a fresh service; the record is delivered again (sync or gossip)
    await store.close()
    store = await openStore(dir)
    const second = delegationOver(store, clock)
    await second.service.parts.revocations.load()
    const again = await createTopicIntake(second.topic, { store, clock, logger: silentLogger() }).offer(jwt, globex.did)
    expect(again.status).to.equal('accepted')
    expect(second.service.parts.revocations.isRevoked(cid, new Set([alice.did]))?.issuer).to.equal(alice.did)

    // and once accepted it is on disk with its index: revoked after the next restart without redelivery
    await store.close()
    store = await openStore(dir)
    const third = delegationOver(store, clock)
    await third.service.parts.revocations.load()
    expect(third.service.parts.revocations.isRevoked(cid, new Set([alice.did]))?.issuer).to.equal(alice.did)
  })
})
