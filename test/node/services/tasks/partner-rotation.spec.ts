/**
 * A third org checks chains rooted in a partner that rotated its org key (DESIGN 14, issue 19): initech
 * executes for carol (globex) under acme -> alice -> carol. acme rotates to a new key: the root its old
 * key issued before the rotation stays valid (with alice's old or re-issued credential), a root by its
 * new key is valid once initech follows the successor record, and neither is refused as
 * ROOT_AUDIENCE_NOT_MEMBER or PRINCIPAL_CONFLICT; a root the old key signs after the rotation is
 * KEY_RETIRED; an AgentCredential the new key revokes is refused even when the old key issued it.
 */
import { expect } from 'chai'
import { cidOfJwt, issueRevocation, verifyRevocation } from '../../../../identity/ucan/index.js'
import { issueAgentCredential } from '../../../../identity/credentials.js'
import { issueAcceptance } from '../../../../identity/agent-acceptance.js'
import type { KeySuccession } from '../../../../identity/successor-record.js'
import { fakeClock, type FakeClock } from '../../../helpers/clock.js'
import { acme, globex, initech, principal } from '../../../helpers/principals.js'
import { grant, invoke, makeAgent, openExecNode, type Agent, type ExecNode } from './executor-fixture.js'

const acme2 = principal('acme-2')
const nowS = (clock: FakeClock): number => Math.floor(clock.now() / 1000)

describe('a third org checks chains rooted in a rotated partner (in process, real store)', function () {
  this.timeout(20_000)
  let clock: FakeClock
  let node: ExecNode
  let ivan: Agent // initech, executes
  let alice: Agent // acme (old key)
  let carol: Agent // globex, invokes
  let oldRoot: string
  let rotatedAt: number | undefined
  const succession: KeySuccession = {
    retiredAt: (did) => did === acme.did ? rotatedAt : undefined,
    successorsOf: (did) => did === acme.did && rotatedAt != null ? [acme2.did] : []
  }
  const RECORDS = `tm:${acme.did}/records`
  const NEW_RECORDS = `tm:${acme2.did}/records`

  /** acme rotates now; initech learns the successor record and enrols the new DID beside the old one. */
  const rotate = async (): Promise<void> => {
    clock.advance(30_000)
    rotatedAt = nowS(clock)
    clock.advance(30_000)
    await node.ctx.enrolments.add({ orgDid: acme2.did, maxRing: 2 }, clock.now())
  }
  /** alice's AgentCredential re-issued by acme's new key, and her acceptance of it. */
  const reissued = async (): Promise<{ credential: string, acceptance: string }> => {
    const credential = await issueAgentCredential(acme2, { agentDid: alice.signer.did, name: 'alice', ring: 2, capabilities: ['records/read'] }, { clock, ttlSeconds: 3600 })
    return { credential, acceptance: await issueAcceptance(alice.signer, credential, acme2.did, nowS(clock)) }
  }

  beforeEach(async () => {
    clock = fakeClock(Date.now())
    rotatedAt = undefined
    ivan = await makeAgent('ivan', initech, 2, clock)
    alice = await makeAgent('alice', acme, 2, clock)
    carol = await makeAgent('carol', globex, 2, clock)
    node = await openExecNode({ org: initech, orgName: 'initech', localAgents: [ivan], enrolled: [{ orgDid: acme.did, maxRing: 2 }, { orgDid: globex.did }], clock, succession })
    oldRoot = await grant(acme, alice.signer.did, RECORDS, 'records/read', clock)
  })
  afterEach(async () => { await node?.close() })

  it('a root by the old key before the rotation stays valid, with alice\'s old credential and with her re-issued one', async () => {
    const toCarol = await grant(alice.signer, carol.signer.did, `${RECORDS}/1`, 'records/read', clock, { proof: oldRoot })
    const first = await node.executor.execute(await invoke(carol.signer, ivan.signer.did, `${RECORDS}/1`, 'records/read', [oldRoot, toCarol], [alice.credential, carol.credential], clock), { orgDid: globex.did })
    expect(first.outcome, `${first.code}: ${first.reason ?? ''}`).to.equal('ok')
    await rotate()
    const again = await node.executor.execute(await invoke(carol.signer, ivan.signer.did, `${RECORDS}/1`, 'records/read', [oldRoot, toCarol], [alice.credential, carol.credential], clock), { orgDid: globex.did })
    expect(again.outcome, `${again.code}: ${again.reason ?? ''}`).to.equal('ok')
    // alice's credential re-issued by the new key: the same org renews her binding (no PRINCIPAL_CONFLICT)
    const r = await reissued()
    const bound = await node.principals.add(r.credential, { acceptance: r.acceptance, from: acme2.did })
    expect(bound.ok, bound.ok ? '' : `${bound.error.code}: ${bound.error.message}`).to.equal(true)
    expect(node.principals.orgOf(alice.signer.did)).to.equal(acme2.did)
    const req = await invoke(carol.signer, ivan.signer.did, `${RECORDS}/1`, 'records/read', [oldRoot, toCarol], [r.credential, carol.credential], clock)
    const withNew = await node.executor.execute(req, { orgDid: globex.did })
    expect(withNew.outcome, `${withNew.code}: ${withNew.reason ?? ''}`).to.equal('ok')
  })

  it('a root by the new key is valid once the successor record is followed (not ROOT_AUDIENCE_NOT_MEMBER)', async () => {
    // alice was bound under the old DID before the rotation
    expect((await node.principals.add(alice.credential, { acceptance: alice.acceptance })).ok).to.equal(true)
    await rotate()
    const r = await reissued()
    const newRoot = await grant(acme2, alice.signer.did, NEW_RECORDS, 'records/read', clock)
    const toCarol = await grant(alice.signer, carol.signer.did, `${NEW_RECORDS}/7`, 'records/read', clock, { proof: newRoot })
    // the credential that arrives is still her old one (the old key's, before the rotation): one org
    const withOld = await node.executor.execute(await invoke(carol.signer, ivan.signer.did, `${NEW_RECORDS}/7`, 'records/read', [newRoot, toCarol], [alice.credential, carol.credential], clock), { orgDid: globex.did })
    expect(withOld.outcome, `${withOld.code}: ${withOld.reason ?? ''}`).to.equal('ok')
    const withNew = await node.executor.execute(await invoke(carol.signer, ivan.signer.did, `${NEW_RECORDS}/7`, 'records/read', [newRoot, toCarol], [r.credential, carol.credential], clock), { orgDid: globex.did })
    expect(withNew.outcome, `${withNew.code}: ${withNew.reason ?? ''}`).to.equal('ok')
  })

  it('before initech follows the successor record, a chain under the new key is a DENY with a reason, not an allow', async () => {
    // acme rotated, but initech has neither the record nor an enrolment of the new DID
    clock.advance(60_000)
    const r = await reissued()
    const newRoot = await grant(acme2, alice.signer.did, NEW_RECORDS, 'records/read', clock)
    const toCarol = await grant(alice.signer, carol.signer.did, `${NEW_RECORDS}/8`, 'records/read', clock, { proof: newRoot })
    const req = await invoke(carol.signer, ivan.signer.did, `${NEW_RECORDS}/8`, 'records/read', [newRoot, toCarol], [r.credential, carol.credential], clock)
    req.acceptances = { ...(req.acceptances ?? {}), [cidOfJwt(r.credential)]: r.acceptance }
    const reply = await node.executor.execute(req, { orgDid: globex.did })
    expect(reply.outcome).to.equal('denied')
    expect(reply.code, reply.reason).to.equal('UNKNOWN_PRINCIPAL')
    expect(reply.reason).to.be.a('string').and.not.equal('')
  })

  it('a root the old key signs after the rotation is KEY_RETIRED', async () => {
    await rotate()
    const late = await grant(acme, alice.signer.did, RECORDS, 'records/read', clock, { nbf: nowS(clock) })
    const toCarol = await grant(alice.signer, carol.signer.did, `${RECORDS}/2`, 'records/read', clock, { proof: late, nbf: nowS(clock) })
    const reply = await node.executor.execute(await invoke(carol.signer, ivan.signer.did, `${RECORDS}/2`, 'records/read', [late, toCarol], [alice.credential, carol.credential], clock), { orgDid: globex.did })
    expect(reply.outcome).to.equal('denied')
    expect(reply.code, reply.reason).to.equal('KEY_RETIRED')
  })

  it('a credential by an org that is not a successor is still a PRINCIPAL_CONFLICT', async () => {
    expect((await node.principals.add(alice.credential, { acceptance: alice.acceptance })).ok).to.equal(true)
    await rotate()
    const claim = await issueAgentCredential(globex, { agentDid: alice.signer.did, name: 'alice', ring: 2, capabilities: ['records/read'] }, { clock, ttlSeconds: 3600 })
    const out = await node.principals.add(claim, { acceptance: await issueAcceptance(alice.signer, claim, globex.did, nowS(clock)) })
    expect(out.ok ? '' : out.error.code).to.equal('PRINCIPAL_CONFLICT')
  })

  it('after the rotation, the new key revokes what the old key issued: alice\'s old credential and the old root', async () => {
    expect((await node.principals.add(alice.credential, { acceptance: alice.acceptance })).ok).to.equal(true)
    await rotate()
    const add = async (cid: string): Promise<void> => {
      const r = verifyRevocation(await issueRevocation(acme2, cid, clock), { chainIssuersOf: () => [acme2.did] })
      if (!r.ok) throw new Error(r.error.message)
      await node.revocations.add({ cid, issuer: r.value.issuer, jwt: r.value.jwt, issuedAt: r.value.issuedAt })
    }
    const toCarol = await grant(alice.signer, carol.signer.did, `${RECORDS}/3`, 'records/read', clock, { proof: oldRoot })
    expect(node.checker.isRevokedIn(cidOfJwt(oldRoot), { [cidOfJwt(oldRoot)]: oldRoot, [cidOfJwt(toCarol)]: toCarol })).to.equal(false)
    await add(cidOfJwt(oldRoot))
    expect(node.checker.isRevokedIn(cidOfJwt(oldRoot), { [cidOfJwt(oldRoot)]: oldRoot, [cidOfJwt(toCarol)]: toCarol })).to.equal(true)
    await add(cidOfJwt(alice.credential))
    const c = node.principals.check(alice.signer.did)
    expect(c.ok ? '' : c.error.code).to.equal('CREDENTIAL_REVOKED')
  })
})
