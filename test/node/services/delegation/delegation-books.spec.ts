/**
 * The node's delegation state over a real store: ReplayGuard (persisted, pruned after expiry),
 * RevocationBook (a revocation counts only for issuers at or above the link), PrincipalBook (only
 * enrolled orgs; no takeover of one org's agent by another), and DelegationExchange.receive (only
 * the verified proofs of a delivered chain are stored).
 */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { cidOfJwt, issueRevocation } from '../../../../identity/ucan/index.js'
import { issueAgentCredential } from '../../../../identity/credentials.js'
import { openStore, type Store } from '../../../../node/store/index.js'
import { SUBLEVELS as Sublevel } from '../../../../node/store/sublevels.js'
import { silentLogger } from '../../../../identity/logger.js'
import type { Components } from '../../../../node/components.js'
import { ReplayGuard } from '../../../../node/services/delegation/replay-guard.js'
import { RevocationBook, type StoredRevocation } from '../../../../node/services/delegation/revocation-book.js'
import { PrincipalBook } from '../../../../node/services/delegation/principal-book.js'
import { DelegationBook, type StoredDelegation } from '../../../../node/services/delegation/delegation-book.js'
import { DelegationExchange } from '../../../../node/services/delegation/delegation-exchange.js'
import { ChainChecker } from '../../../../node/services/delegation/chain-checker.js'
import { fakeClock } from '../../../helpers/clock.js'
import { acme, alice, bob, carol, globex, initech, mallory } from '../../../helpers/principals.js'
import { grant, invoke, makeAgent } from '../tasks/executor-fixture.js'
import { DEFAULT_MAX_DELEGATION_TTL_SECONDS } from '../../../../node/services/delegation/chain-checker.js'

describe('delegation state over a real store', () => {
  let dir: string
  let store: Store
  const clock = fakeClock(Date.now())
  beforeEach(async () => { dir = await mkdtemp('/tmp/tmd-'); store = await openStore(dir) })
  afterEach(async () => { await store.close(); await rm(dir, { recursive: true, force: true }) })
  const reopen = async (): Promise<void> => { await store.close(); store = await openStore(dir) }

  it('ReplayGuard: recorded keys survive a restart and are pruned after expiry', async () => {
    let g = new ReplayGuard(store.repository<number>(Sublevel.nonces))
    const exp = clock.now() + 60_000
    expect(await g.record(['inv1', 'nnc:a:1'], exp)).to.equal(true)
    expect(await g.record(['inv2', 'nnc:a:1'], exp)).to.equal(false)
    await reopen()
    g = new ReplayGuard(store.repository<number>(Sublevel.nonces))
    await g.load(clock.now())
    expect(g.seen('inv1') && g.seen('nnc:a:1')).to.equal(true)
    g.prune(exp + 10 * 60_000)
    expect(g.size).to.equal(0)
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(await store.repository<number>(Sublevel.nonces).count()).to.equal(0)
  })

  it('RevocationBook: only an issuer at or above the link revokes it, and it persists', async () => {
    const root = await grant(acme, alice.did, `tm:${acme.did}/records`, 'records/read', clock)
    const link = await grant(alice, carol.did, `tm:${acme.did}/records/1`, 'records/read', clock, { proof: root })
    const cid = cidOfJwt(link)
    const add = async (book: RevocationBook, by: typeof alice): Promise<void> => {
      await book.add({ cid, issuer: by.did, jwt: await issueRevocation(by, cid, clock), issuedAt: Math.floor(clock.now() / 1000) })
    }
    let book = new RevocationBook(store.repository<StoredRevocation>(Sublevel.revocations))
    const principals = new PrincipalBook({ repo: store.repository<string>(Sublevel.credentials), clock, trustedOrgs: () => [acme.did] })
    const checker = (): ChainChecker => new ChainChecker({ principals, replay: new ReplayGuard(store.repository<number>(Sublevel.nonces)), revocations: book })
    const proofs = { [cidOfJwt(root)]: root, [cid]: link }
    await add(book, carol)
    await add(book, mallory)
    expect(checker().isRevokedIn(cid, proofs)).to.equal(false)
    await add(book, acme)
    expect(checker().isRevokedIn(cid, proofs)).to.equal(true)
    expect(checker().isRevokedIn(cidOfJwt(root), proofs)).to.equal(false)
    await reopen()
    book = new RevocationBook(store.repository<StoredRevocation>(Sublevel.revocations))
    await book.load()
    expect(book.all()).to.have.length(3)
    expect(book.isRevoked(cid, new Set([alice.did, acme.did]))?.issuer).to.equal(acme.did)
  })

  it('PrincipalBook: refuses unenrolled issuers, and one org cannot take over another org\'s agent', async () => {
    const p = new PrincipalBook({ repo: store.repository<string>(Sublevel.credentials), clock, trustedOrgs: () => [globex.did, acme.did, initech.did] })
    const mine = await issueAgentCredential(acme, { agentDid: alice.did, name: 'alice', ring: 2, capabilities: ['records/read'] }, { clock, ttlSeconds: 3600 })
    const theirs = await issueAgentCredential(initech, { agentDid: alice.did, name: 'alice', ring: 1, capabilities: ['records/read'] }, { clock, ttlSeconds: 7200 })
    const rogue = await issueAgentCredential(mallory, { agentDid: bob.did, name: 'bob', ring: 1, capabilities: ['records/read'] }, { clock, ttlSeconds: 3600 })
    expect((await p.add(rogue)).ok).to.equal(false)
    expect(p.check(bob.did).ok).to.equal(false)
    expect((await p.add(mine, { org: initech.did })).ok).to.equal(false)
    expect((await p.add(mine)).ok).to.equal(true)
    const r = await p.add(theirs)
    expect(r.ok === false && r.error.code).to.equal('PRINCIPAL_CONFLICT')
    const c = p.check(alice.did)
    expect(c.ok && [c.value.org, c.value.ring]).to.deep.equal([acme.did, 2])
  })

  it('DelegationExchange.receive stores only the proofs the delivered chain rests on', async () => {
    const book = new DelegationBook(store.repository<StoredDelegation>(Sublevel.delegations))
    const principals = new PrincipalBook({ repo: store.repository<string>(Sublevel.credentials), clock, trustedOrgs: () => [globex.did, acme.did] })
    const ctx = {
      clock,
      logger: silentLogger(),
      agents: { get: async (x: string) => x === bob.did ? { did: bob.did, name: 'bob' } : undefined }
    } as unknown as Components
    const ex = new DelegationExchange(ctx, book, principals)
    const root = await grant(acme, alice.did, `tm:${acme.did}/records`, 'records/read', clock)
    const toBob = await grant(alice, bob.did, `tm:${acme.did}/records`, 'records/read', clock, { proof: root })
    // an extra, unsigned "delegation" to bob smuggled into the proofs map
    const forged = await grant(mallory, bob.did, `tm:${acme.did}`, 'records/read', clock)
    const [h, p] = forged.split('.')
    const unsigned = `${h}.${p}.${'A'.repeat(86)}`
    const reply = await ex.receive({ v: 1, delegation: toBob, proofs: { [cidOfJwt(root)]: root, [cidOfJwt(unsigned)]: unsigned }, credentials: {} }, acme.did)
    expect(reply.ok, JSON.stringify(reply)).to.equal(true)
    expect(book.list().map(r => r.cid).sort()).to.deep.equal([cidOfJwt(root), cidOfJwt(toBob)].sort())
    const bad = await ex.receive({ v: 1, delegation: unsigned, proofs: {}, credentials: {} }, acme.did)
    expect(bad.ok).to.equal(false)
    expect(bad.code).to.be.a('string')
  })

  it('ChainChecker: a delegation valid for longer than the maximum TTL is TTL_TOO_LONG by default, configurable', async () => {
    const a = await makeAgent('alice', acme, 2, clock)
    const principals = new PrincipalBook({ repo: store.repository<string>(Sublevel.credentials), clock, trustedOrgs: () => [acme.did] })
    expect((await principals.add(a.credential)).ok).to.equal(true)
    const revocations = new RevocationBook(store.repository<StoredRevocation>(Sublevel.revocations))
    const make = (maxTtlSeconds?: number): ChainChecker => new ChainChecker({ principals, replay: new ReplayGuard(store.repository<number>(Sublevel.nonces)), revocations, ...(maxTtlSeconds != null ? { maxTtlSeconds } : {}) })
    const nowS = Math.floor(clock.now() / 1000)
    // a root valid until 2262
    const forever = await grant(acme, alice.did, `tm:${acme.did}/records`, 'records/read', clock, { exp: Date.UTC(2262, 0, 1) / 1000 })
    const req = await invoke(alice, bob.did, `tm:${acme.did}/records`, 'records/read', [forever], [a.credential], clock)
    const r = make().check(req, { now: clock.now() })
    expect(r.ok ? 'ok' : [r.error.code, (r.error as { link?: number }).link]).to.deep.equal(['TTL_TOO_LONG', 0])
    // the default and a configured limit: within it is accepted, one second over is not
    const atLimit = await grant(acme, alice.did, `tm:${acme.did}/records`, 'records/read', clock, { nbf: nowS - 10, exp: nowS - 10 + DEFAULT_MAX_DELEGATION_TTL_SECONDS })
    const ok = make().check(await invoke(alice, bob.did, `tm:${acme.did}/records`, 'records/read', [atLimit], [a.credential], clock), { now: clock.now() })
    expect(ok.ok ? 'ok' : ok.error.code).to.equal('ok')
    const tight = make(3600).check(await invoke(alice, bob.did, `tm:${acme.did}/records`, 'records/read', [atLimit], [a.credential], clock), { now: clock.now() })
    expect(tight.ok ? 'ok' : tight.error.code).to.equal('TTL_TOO_LONG')
    const loose = make(400 * 365 * 24 * 3600).check(req, { now: clock.now() })
    expect(loose.ok ? 'ok' : loose.error.code).to.equal('ok')
  })
})
