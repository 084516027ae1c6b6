/**
 * Agent credentials renewed while the node runs (issue 14 item 4), on a fake clock: a credential
 * past its expiry is refused as CREDENTIAL_EXPIRED, then renewed (same claims, fresh expiry, a new
 * root delegation); one due within `agentRenewBeforeMs` is renewed before it expires.
 */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { openStore, type Store } from '../../../../node/store/index.js'
import { SUBLEVELS as Sublevel } from '../../../../node/store/sublevels.js'
import { silentLogger } from '../../../../identity/logger.js'
import { ok } from '../../../../identity/result.js'
import type { Components } from '../../../../node/components.js'
import { AgentRegistry, type AgentRecord } from '../../../../node/services/agents/agent-registry.js'
import { createDelegationService } from '../../../../node/services/delegation/delegation-service.js'
import { fakeClock } from '../../../helpers/clock.js'
import { acme, alice, bob } from '../../../helpers/principals.js'

describe('agent credentials are renewed while the node runs', () => {
  let dir: string
  let store: Store
  beforeEach(async () => { dir = await mkdtemp('/tmp/tmr-'); store = await openStore(dir) })
  afterEach(async () => { await store.close(); await rm(dir, { recursive: true, force: true }) })

  it('renews a credential past expiry, and one due within agentRenewBeforeMs, before it expires', async () => {
    const clock = fakeClock(Date.UTC(2026, 11, 1))
    const agents = new AgentRegistry({ repo: store.repository<AgentRecord>(Sublevel.agents), orgSigner: acme, clock })
    const ctx = {
      clock,
      logger: silentLogger(),
      identity: { orgDid: acme.did },
      orgSigner: acme,
      store,
      enrolments: { list: () => [] },
      gossip: { register: () => {}, publish: async () => ok(undefined) },
      agents,
      audit: { record: async () => ok(undefined) },
      mesh: {}
    } as unknown as Components
    const svc = createDelegationService(ctx, { agentRenewBeforeMs: 3600_000 })
    const a = await agents.create({ name: 'alice', did: alice.did, ring: 2, capabilities: ['records/read'], ttlSeconds: 2 * 3600 })
    const b = await agents.create({ name: 'bob', did: bob.did, ring: 2, capabilities: ['records/read'], ttlSeconds: 10 * 3600 })
    await svc.roots.agentCreated(a)
    await svc.roots.agentCreated(b)
    expect(await svc.renewDue()).to.deep.equal([])

    clock.advance(2 * 3600_000 + 120_000) // alice's credential has expired; bob's is not due yet
    const expired = svc.parts.principals.check(alice.did)
    expect(expired.ok ? 'ok' : expired.error.code).to.equal('CREDENTIAL_EXPIRED')
    expect(await svc.renewDue()).to.deep.equal(['alice'])
    const renewed = await agents.require('alice')
    expect(renewed.credential).to.not.equal(a.credential)
    expect(renewed.expiresAt).to.equal(clock.now() - (clock.now() % 1000) + 2 * 3600_000)
    expect(renewed.acceptance).to.equal(undefined) // the agent accepts again (the SDK checks every minute)
    const p = svc.parts.principals.check(alice.did)
    expect(p.ok && [p.value.org, p.value.ring]).to.deep.equal([acme.did, 2])
    expect(svc.parts.book.list().filter(r => r.audience === alice.did && r.issuer === acme.did && (r.expiration ?? 0) * 1000 > clock.now())).to.have.length(1)

    clock.advance(7 * 3600_000) // bob expires in under an hour: renewed before it does
    expect(svc.parts.principals.check(bob.did).ok).to.equal(true)
    expect(await svc.renewDue()).to.deep.equal(['alice', 'bob']) // alice's 2 h credential was due again
    expect((await agents.require('bob')).expiresAt).to.be.greaterThan(clock.now() + 9 * 3600_000)
  })
})
