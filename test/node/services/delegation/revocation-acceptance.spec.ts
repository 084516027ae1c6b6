/**
 * Which revocations a node keeps (issue 15 item 2): one of a token it knows, signed by an issuer in
 * that token's chain, or one signed by an enrolled org, is accepted under its issuer's quota; one of a
 * token it does not know by any other key is parked, every such record of one sending peer under a
 * single quota (so a flood of throw-away keys fills one bounded bucket); a revocation of a known
 * token by a key outside its chain is refused.
 */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { cidOfJwt, issueDelegation, issueRevocation } from '../../../../identity/ucan/index.js'
import { Ed25519Signer } from '../../../../identity/signer.js'
import { openStore, type Store } from '../../../../node/store/index.js'
import { silentLogger } from '../../../../identity/logger.js'
import { createTopicIntake } from '../../../../node/gossip/record-intake.js'
import type { RecordTopic } from '../../../../node/gossip/record-topic.js'
import { createDelegationService, type DelegationComponents, type DelegationService } from '../../../../node/services/delegation/delegation-service.js'
import { fakeClock } from '../../../helpers/clock.js'
import { acme, alice, bob, globex, initech, mallory } from '../../../helpers/principals.js'

describe('delegation: which revocations are accepted, parked or refused', () => {
  let dir: string
  let store: Store
  const clock = fakeClock(Date.now())
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'tm-revacc-')); store = await openStore(dir) })
  afterEach(async () => { await store.close(); await rm(dir, { recursive: true, force: true }) })

  function setup (): { service: DelegationService, topic: RecordTopic<unknown> } {
    let topic: RecordTopic<unknown> | undefined
    const ctx = {
      clock,
      logger: silentLogger(),
      identity: { orgDid: acme.did },
      orgSigner: acme,
      store,
      enrolments: { list: () => [{ orgDid: globex.did }] },
      gossip: { register: (t: RecordTopic<unknown>) => { topic = t } },
      agents: { list: async () => [] },
      audit: { record: async () => ({ ok: true, value: undefined }) },
      mesh: {}
    } as unknown as DelegationComponents
    const service = createDelegationService(ctx)
    if (topic == null) throw new Error('no revocation topic registered')
    return { service, topic }
  }

  it('known token by its issuer and enrolled org: own quotas; unknown token by any key: one parked quota per peer; outsider on a known token: refused', async () => {
    const { service, topic } = setup()
    const link = await issueDelegation(alice, { audience: bob.did, capabilities: { [`tm:${acme.did}/records`]: { 'records/read': [{}] } }, expiration: Math.floor(clock.now() / 1000) + 3600, nonce: 'k1', proofs: [] })
    await service.parts.book.add(link.jwt, clock.now())
    const known = cidOfJwt(link.jwt)
    const other = await issueDelegation(alice, { audience: bob.did, capabilities: { [`tm:${acme.did}/records`]: { 'records/read': [{}] } }, expiration: Math.floor(clock.now() / 1000) + 3600, nonce: 'k2', proofs: [] })
    const unknown = cidOfJwt(other.jwt)
    const intake = createTopicIntake({ ...topic, limits: { perPeer: 100, perIssuer: 3 } }, { store, clock, logger: silentLogger() })
    const quotaOf = async (id: string): Promise<string | undefined> => (await intake.repo.get(id))?.issuer

    const byIssuer = await intake.offer(await issueRevocation(alice, known, clock), initech.did)
    expect(byIssuer.status).to.equal('accepted')
    if (byIssuer.status === 'accepted') expect(await quotaOf(byIssuer.id)).to.equal(alice.did)

    const byOrg = await intake.offer(await issueRevocation(globex, unknown, clock), initech.did)
    expect(byOrg.status).to.equal('accepted')
    if (byOrg.status === 'accepted') expect(await quotaOf(byOrg.id)).to.equal(globex.did)

    const outsider = await intake.offer(await issueRevocation(mallory, known, clock), initech.did)
    expect(outsider.status).to.equal('invalid')

    // throw-away keys on an unknown token: parked under one quota for the sending peer, capped
    const parked: string[] = []
    for (let i = 0; i < 5; i++) {
      const out = await intake.offer(await issueRevocation(new Ed25519Signer(randomBytes(32)), unknown, clock), initech.did)
      parked.push(out.status === 'ignored' ? out.error.code : out.status)
    }
    expect(parked).to.deep.equal(['accepted', 'accepted', 'accepted', 'ISSUER_QUOTA_EXCEEDED', 'ISSUER_QUOTA_EXCEEDED'])
    const quotas = (await intake.repo.list()).map(([, v]) => v.issuer)
    expect(quotas.filter(q => q === `parked:${initech.did}`)).to.have.length(3)
    // another peer has its own parked bucket; the known issuer is still served after the flood
    const fromGlobex = await intake.offer(await issueRevocation(new Ed25519Signer(randomBytes(32)), unknown, clock), globex.did)
    expect(fromGlobex.status).to.equal('accepted')
    clock.advance(1_000)
    expect((await intake.offer(await issueRevocation(alice, known, clock), initech.did)).status).to.equal('accepted')
    // parked records do not revoke for chains where their issuer is not entitled
    expect(service.parts.revocations.isRevoked(unknown, new Set([alice.did]))).to.equal(undefined)
  })
})
