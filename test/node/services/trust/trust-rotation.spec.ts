/**
 * Trust follows an org key rotation (DESIGN.md 7 and 14): a partner enrolled under its old DID and,
 * after the successor record, under its new one is one org. Evidence gathered about it under the
 * old DID counts for the new DID, so a rotation neither resets a bad standing (laundering) nor throws
 * away a good one; an org without a successor record gains nothing from another's history.
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, type Store } from '../../../../node/store/open-store.js'
import { TrustService } from '../../../../node/services/trust/trust-service.js'
import { DEFAULT_TRUST_SETTINGS } from '../../../../node/services/trust/trust-settings.js'
import { issueReceipt } from '../../../../node/services/tasks/receipt.js'
import { silentLogger } from '../../../../identity/logger.js'
import { ok } from '../../../../identity/result.js'
import { NEUTRAL_SCORE } from '../../../../trust/index.js'
import { acme, alice, bob, globex, initech, principal } from '../../../helpers/principals.js'
import { fakeClock } from '../../../helpers/clock.js'

const T0 = Date.UTC(2026, 11, 2)
const globex2 = principal('globex-rotated')

describe('trust follows an org key rotation', () => {
  let dir: string
  let store: Store
  const services: TrustService[] = []

  beforeEach(async () => { dir = mkdtempSync(join(tmpdir(), 'tm-trust-rot-')); store = await openStore(dir) })
  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function serviceWith (currentOrg?: (did: string) => string): Promise<TrustService> {
    const enrolled = [globex.did, globex2.did, initech.did].map(orgDid => ({ orgDid, name: orgDid.slice(-6), preTrusted: false }))
    const s = new TrustService({
      clock: fakeClock(T0),
      logger: silentLogger(),
      selfOrg: acme.did,
      ...(currentOrg != null ? { currentOrg } : {}),
      orgSigner: acme,
      enrolments: { get: (did: string) => enrolled.find(e => e.orgDid === did), list: () => enrolled } as never,
      store,
      gossip: { register: () => {}, publish: async () => ok({ id: 'x', status: 'published' as const }), list: async () => [] },
      localAgents: async () => [alice.did],
      settings: DEFAULT_TRUST_SETTINGS
    })
    await s.start()
    services.push(s)
    // globex's bob failed six tasks for acme's alice, all before globex rotated its org key
    for (let i = 0; i < 6; i++) {
      const receipt = await issueReceipt(principal('globex-node'), { org: globex.did, inv: `bafy-rot-${i}`, executor: bob.did, invoker: alice.did, outcome: 'error', code: 'TASK_FAILED', durationMs: 3, iat: T0 / 1000 })
      await s.onReceipt(receipt, 'received')
    }
    return s
  }

  it('the new DID keeps the standing the old one earned; other orgs are untouched', async () => {
    const s = await serviceWith((did) => did === globex.did ? globex2.did : did)
    const old = s.trustOf(globex.did) as number
    expect(old).to.be.below(NEUTRAL_SCORE)
    expect(s.trustOf(globex2.did)).to.equal(old)
    expect(s.evidenceAbout(globex2.did)).to.have.length(6)
    expect(s.trustOf(initech.did)).to.equal(NEUTRAL_SCORE)
  })

  it('without a successor record the two DIDs are two orgs (today\'s behaviour without rotation)', async () => {
    const s = await serviceWith()
    expect(s.trustOf(globex.did)).to.be.below(NEUTRAL_SCORE)
    expect(s.trustOf(globex2.did)).to.equal(NEUTRAL_SCORE)
  })

  it('an agent naming a successor of its own key sheds none of its evidence (only enrolled orgs follow records)', async () => {
    const bobFresh = principal('bob-fresh')
    const honest = await serviceWith((did) => did === globex.did ? globex2.did : did)
    const before = honest.trustOf(bob.did) as number
    expect(before).to.be.below(NEUTRAL_SCORE)
    // the same evidence, and a successor record bob -> bob-fresh that bob (or anyone with its key) made
    const s = await serviceWith((did) => did === globex.did ? globex2.did : did === bob.did ? bobFresh.did : did)
    expect(s.trustOf(bob.did)).to.equal(before)
  })
})

