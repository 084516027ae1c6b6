/**
 * The receiving end of a task, in process, over a real store: every rule of DESIGN.md section 4 at
 * the executing node, and the delegation items of section 11 that need node state (replay across a
 * restart, revocation after a cached accept, relayed bearer tokens, forged credentials, confused
 * deputy, audit unwritable). The executing org is globex; acme owns the resources; initech is a
 * third org. Every refusal carries a reason code and a receipt that verifies.
 */
import { expect } from 'chai'
import { cidOfJwt, issueRevocation, verifyRevocation } from '../../../../identity/ucan/index.js'
import { issueAgentCredential } from '../../../../identity/credentials.js'
import type { Ed25519Signer } from '../../../../identity/signer.js'
import { verifyReceipt } from '../../../../node/services/tasks/receipt.js'
import type { TaskReply, TaskRequest } from '../../../../protocols/task/messages.js'
import { fakeClock, type FakeClock } from '../../../helpers/clock.js'
import { acme, globex, initech, mallory } from '../../../helpers/principals.js'
import { flipChar, junkSigned, signRaw } from '../../../identity/ucan/forge.js'
import { grant, invoke, makeAgent, openExecNode, type Agent, type ExecNode } from './executor-fixture.js'

const RECORDS = `tm:${acme.did}/records`
const RECORD42 = `${RECORDS}/42`
const PAYMENTS = `tm:${acme.did}/payments`

/** A revocation as the gossip validator keeps it (signature checked; authority checked at each use). */
async function revoke (node: ExecNode, by: Ed25519Signer, jwt: string): Promise<string> {
  const cid = cidOfJwt(jwt)
  const r = verifyRevocation(await issueRevocation(by, cid, node.clock), { chainIssuersOf: () => [by.did] })
  if (!r.ok) throw new Error(r.error.message)
  await node.revocations.add({ cid, issuer: r.value.issuer, jwt: r.value.jwt, issuedAt: r.value.issuedAt })
  return cid
}

function expectRefused (reply: TaskReply, code: string, node: ExecNode, req: TaskRequest): void {
  expect(reply.outcome, `${reply.code}: ${reply.reason ?? ''}`).to.equal('denied')
  expect(reply.code, reply.reason).to.equal(code)
  expect(reply.reason).to.be.a('string').and.not.equal('')
  const r = verifyReceipt(reply.receipt, { expectedInvocation: cidOfJwt(req.invocation), expectedNode: node.ctx.nodeSigner.did })
  expect(r.ok, r.ok ? '' : r.error.message).to.equal(true)
  if (r.ok) expect([r.value.outcome, r.value.code]).to.deep.equal(['denied', code])
}

describe('TaskExecutor (in process, real store)', function () {
  this.timeout(20_000)
  let clock: FakeClock
  let node: ExecNode
  let bob: Agent // globex, the executing agent
  let dave: Agent // globex, ring 1
  let alice: Agent // acme, ring 2
  let amy: Agent // acme, ring 1
  let xena: Agent // acme, ring 3
  let carol: Agent // initech, ring 2
  let root: string
  let aliceToCarol: string

  /** acme -> alice -> carol, carol invokes records/read on record 42 at bob. */
  const baseRequest = async (o: Parameters<typeof invoke>[7] = {}): Promise<TaskRequest> =>
    await invoke(carol.signer, bob.signer.did, RECORD42, 'records/read', [root, aliceToCarol], [alice.credential, carol.credential], clock, o)

  beforeEach(async () => {
    clock = fakeClock(Date.now())
    bob = await makeAgent('bob', globex, 2, clock)
    dave = await makeAgent('dave', globex, 1, clock)
    alice = await makeAgent('alice', acme, 2, clock)
    amy = await makeAgent('amy', acme, 1, clock)
    xena = await makeAgent('xena', acme, 3, clock)
    carol = await makeAgent('carol', initech, 2, clock)
    node = await openExecNode({ org: globex, orgName: 'globex', localAgents: [bob, dave], enrolled: [{ orgDid: acme.did, maxRing: 1 }, { orgDid: initech.did }], clock })
    root = await grant(acme, alice.signer.did, RECORDS, 'records/read', clock)
    aliceToCarol = await grant(alice.signer, carol.signer.did, RECORD42, 'records/read', clock, { proof: root })
  })
  afterEach(async () => { await node?.close() })

  it('runs a task under a valid three-party chain and signs an ok receipt', async () => {
    const req = await baseRequest({ args: { q: 1 } })
    const reply = await node.executor.execute(req, { orgDid: initech.did })
    expect(reply.outcome, reply.reason).to.equal('ok')
    expect(reply.code).to.equal('OK')
    expect(node.dispatched).to.have.length(1)
    expect(node.dispatched[0]).to.include({ ability: 'records/read', resource: RECORD42, invoker: carol.signer.did })
    const r = verifyReceipt(reply.receipt, { expectedInvocation: cidOfJwt(req.invocation), expectedNode: node.ctx.nodeSigner.did })
    expect(r.ok && r.value.outcome).to.equal('ok')
    const logged = await node.tasks.list()
    expect(logged.map(t => [t.direction, t.outcome, t.code])).to.deep.equal([['received', 'ok', 'OK']])
  })

  describe('replay', () => {
    it('refuses the same invocation again, also after a restart (REPLAYED)', async () => {
      const req = await baseRequest()
      expect((await node.executor.execute(req, { orgDid: initech.did })).outcome).to.equal('ok')
      expectRefused(await node.executor.execute(req, { orgDid: initech.did }), 'REPLAYED', node, req)
      await node.reopen()
      expectRefused(await node.executor.execute(req, { orgDid: initech.did }), 'REPLAYED', node, req)
      expect(node.dispatched).to.have.length(1)
    })

    it('refuses a new invocation that reuses a nonce, after a restart', async () => {
      const first = await baseRequest()
      expect((await node.executor.execute(first, { orgDid: initech.did })).outcome).to.equal('ok')
      const nonce = (JSON.parse(Buffer.from(first.invocation.split('.')[1], 'base64url').toString()) as { nnc: string }).nnc
      await node.reopen()
      const { issueInvocation } = await import('../../../../identity/ucan/index.js')
      const again = await issueInvocation(carol.signer, { audience: bob.signer.did, resource: RECORD42, ability: 'records/read', proof: aliceToCarol, nonce, notBefore: Math.floor(clock.now() / 1000) - 1, expiration: Math.floor(clock.now() / 1000) + 30 })
      const req = { ...first, invocation: again.jwt }
      expect(cidOfJwt(again.jwt)).to.not.equal(cidOfJwt(first.invocation))
      expectRefused(await node.executor.execute(req, { orgDid: initech.did }), 'REPLAYED', node, req)
    })
  })

  it('refuses a valid chain relayed by another org (INVOKER_NOT_FROM_PEER) without burning it', async () => {
    const req = await baseRequest()
    expectRefused(await node.executor.execute(req, { orgDid: acme.did }), 'INVOKER_NOT_FROM_PEER', node, req)
    expectRefused(await node.executor.execute(req, { orgDid: 'unknown' }), 'INVOKER_NOT_FROM_PEER', node, req)
    expect(node.dispatched).to.have.length(0)
  })

  it('refuses an invocation addressed to an agent this node does not host (UNKNOWN_EXECUTOR)', async () => {
    const req = await invoke(carol.signer, mallory.did, RECORD42, 'records/read', [root, aliceToCarol], [alice.credential, carol.credential], clock)
    expectRefused(await node.executor.execute(req, { orgDid: initech.did }), 'UNKNOWN_EXECUTOR', node, req)
  })

  describe('time', () => {
    it('refuses an expired invocation (EXPIRED, naming the invocation)', async () => {
      const req = await baseRequest()
      clock.advance(200_000)
      const reply = await node.executor.execute(req, { orgDid: initech.did })
      expectRefused(reply, 'EXPIRED', node, req)
      expect(reply.link).to.equal(2)
    })

    it('refuses a not-yet-valid invocation (NOT_YET_VALID)', async () => {
      const s = Math.floor(clock.now() / 1000)
      const req = await baseRequest({ nbf: s + 600, exp: s + 660 })
      expectRefused(await node.executor.execute(req, { orgDid: initech.did }), 'NOT_YET_VALID', node, req)
    })

    it('refuses a link that outlives its proof (TIME_WIDENED)', async () => {
      const s = Math.floor(clock.now() / 1000)
      const wide = await grant(alice.signer, carol.signer.did, RECORD42, 'records/read', clock, { proof: root, exp: s + 7200 })
      const req = await invoke(carol.signer, bob.signer.did, RECORD42, 'records/read', [root, wide], [alice.credential, carol.credential], clock)
      const reply = await node.executor.execute(req, { orgDid: initech.did })
      expectRefused(reply, 'TIME_WIDENED', node, req)
      expect(reply.link).to.equal(1)
    })
  })

  describe('tokens', () => {
    it('refuses a bit-flipped invocation signature (BAD_SIGNATURE) and a bit-flipped link', async () => {
      const req = await baseRequest()
      const flipped = { ...req, invocation: flipChar(req.invocation, req.invocation.length - 5) }
      expectRefused(await node.executor.execute(flipped, { orgDid: initech.did }), 'BAD_SIGNATURE', node, flipped)
      const cid = cidOfJwt(aliceToCarol)
      const badLink = { ...req, proofs: { ...req.proofs, [cid]: flipChar(aliceToCarol, aliceToCarol.length - 5) } }
      const reply = await node.executor.execute(badLink, { orgDid: initech.did })
      expect(reply.outcome).to.equal('denied')
      expect(reply.code).to.match(/^(BAD_SIGNATURE|CID_MISMATCH|MISSING_PROOF)$/)
      expect(node.dispatched).to.have.length(0)
    })

    it('refuses a root link re-signed by a key other than its iss (BAD_SIGNATURE at link 0)', async () => {
      // the same claims as acme's root, signed by mallory: no CID mismatch, only the signature is wrong
      const forgedRoot = await signRaw({ alg: 'EdDSA', typ: 'JWT' }, JSON.parse(Buffer.from(root.split('.')[1], 'base64url').toString()) as Record<string, unknown>, mallory)
      const link = await grant(alice.signer, carol.signer.did, RECORD42, 'records/read', clock, { proof: forgedRoot })
      const req = await invoke(carol.signer, bob.signer.did, RECORD42, 'records/read', [forgedRoot, link], [alice.credential, carol.credential], clock)
      const reply = await node.executor.execute(req, { orgDid: initech.did })
      expectRefused(reply, 'BAD_SIGNATURE', node, req)
      expect(reply.link).to.equal(0)
      expect(node.dispatched).to.have.length(0)
    })

    it('refuses alg none and algorithm confusion (UNSUPPORTED_ALG)', async () => {
      const req = await baseRequest()
      const payload = JSON.parse(Buffer.from(req.invocation.split('.')[1], 'base64url').toString()) as Record<string, unknown>
      for (const alg of ['none', 'HS256', 'ES256K']) {
        const forged = { ...req, invocation: await signRaw({ alg, typ: 'JWT' }, payload, carol.signer) }
        const reply = await node.executor.execute(forged, { orgDid: initech.did })
        expect(reply.outcome).to.equal('denied')
        expect(reply.code, reply.reason).to.be.oneOf(['UNSUPPORTED_ALG', 'MALFORMED_TOKEN'])
      }
      expect(node.dispatched).to.have.length(0)
    })

    it('refuses a 10,000-link chain before any signature work, quickly', async () => {
      const dids = [alice.signer.did, carol.signer.did]
      const s = Math.floor(clock.now() / 1000)
      const proofs: Record<string, string> = {}
      let prev: string | undefined
      for (let i = 0; i < 10_000; i++) {
        const jwt = junkSigned({ ucv: '0.10.0', iss: i === 0 ? acme.did : dids[i % 2], aud: dids[(i + 1) % 2], nbf: s - 10, exp: s + 3600, cap: { [RECORDS]: { 'records/read': [{}] } }, prf: prev != null ? [prev] : [] })
        prev = cidOfJwt(jwt)
        proofs[prev] = jwt
      }
      const inv = junkSigned({ ucv: '0.10.0', iss: carol.signer.did, aud: bob.signer.did, nbf: s - 1, exp: s + 60, nnc: 'x', cap: { [RECORD42]: { 'records/read': [{}] } }, prf: [prev] })
      const req: TaskRequest = { v: 1, invocation: inv, proofs, credentials: {} }
      const t0 = Date.now()
      const reply = await node.executor.execute(req, { orgDid: initech.did })
      expect(Date.now() - t0).to.be.lessThan(1_000)
      expect(reply.outcome).to.equal('denied')
      expect(reply.code, reply.reason).to.be.oneOf(['TOO_MANY_PROOFS', 'CHAIN_TOO_LARGE', 'CHAIN_TOO_DEEP'])
    })
  })

  describe('scope', () => {
    it('refuses a widened ability or resource at the receiving node (ESCALATION)', async () => {
      for (const [resource, ability] of [[RECORD42, 'records/write'], [RECORDS, 'records/read'], [`tm:${acme.did}/orders/1`, 'records/read']]) {
        const req = await invoke(carol.signer, bob.signer.did, resource, ability, [root, aliceToCarol], [alice.credential, carol.credential], clock)
        const reply = await node.executor.execute(req, { orgDid: initech.did })
        expectRefused(reply, 'ESCALATION', node, req)
        expect(reply.reason).to.match(/link 1|invocation/)
      }
      expect(node.dispatched).to.have.length(0)
    })

    it('refuses an unknown caveat field anywhere in the chain (UNKNOWN_CAVEAT)', async () => {
      const odd = await grant(alice.signer, carol.signer.did, RECORD42, 'records/read', clock, { proof: root, caveats: [{ colour: 'red' } as never] })
      const req = await invoke(carol.signer, bob.signer.did, RECORD42, 'records/read', [root, odd], [alice.credential, carol.credential], clock, { caveats: [{ colour: 'red' } as never] })
      expectRefused(await node.executor.execute(req, { orgDid: initech.did }), 'UNKNOWN_CAVEAT', node, req)
    })

    it('accepts depth max (8 delegations) and refuses max + 1 (CHAIN_TOO_DEEP)', async () => {
      const agents: Agent[] = []
      for (let i = 0; i < 9; i++) agents.push(await makeAgent(`deep${i}`, acme, 2, clock))
      const links = [await grant(acme, agents[0].signer.did, RECORDS, 'records/read', clock)]
      for (let i = 1; i < 9; i++) links.push(await grant(agents[i - 1].signer, agents[i].signer.did, RECORDS, 'records/read', clock, { proof: links[i - 1] }))
      const creds = agents.map(a => a.credential)
      const ok8 = await invoke(agents[7].signer, bob.signer.did, RECORD42, 'records/read', links.slice(0, 8), creds, clock)
      const r8 = await node.executor.execute(ok8, { orgDid: acme.did })
      expect(r8.outcome, r8.reason).to.equal('ok')
      const bad9 = await invoke(agents[8].signer, bob.signer.did, RECORD42, 'records/read', links, creds, clock)
      expectRefused(await node.executor.execute(bad9, { orgDid: acme.did }), 'CHAIN_TOO_DEEP', node, bad9)
    })
  })

  describe('principals', () => {
    it('refuses a chain agent whose AgentCredential was issued by an org that is not enrolled', async () => {
      const forged = await issueAgentCredential(mallory, { agentDid: alice.signer.did, name: 'alice', ring: 1, capabilities: ['records/read'] }, { clock, ttlSeconds: 3600 })
      const req = await invoke(carol.signer, bob.signer.did, RECORD42, 'records/read', [root, aliceToCarol], [forged, carol.credential], clock)
      const reply = await node.executor.execute(req, { orgDid: initech.did })
      expect(reply.outcome).to.equal('denied')
      expect(reply.code).to.be.oneOf(['UNKNOWN_PRINCIPAL', 'PRINCIPAL_ORG_NOT_ENROLLED'])
      expect(reply.link).to.equal(1)
      expect(node.principals.check(alice.signer.did).ok).to.equal(false)
    })

    it('refuses a bit-flipped AgentCredential', async () => {
      const [h, p, s] = alice.credential.split('.')
      const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`
      const req = await invoke(carol.signer, bob.signer.did, RECORD42, 'records/read', [root, aliceToCarol], [flipped, carol.credential], clock)
      expect((await node.executor.execute(req, { orgDid: initech.did })).outcome).to.equal('denied')
    })

    it('an enrolled org cannot take over another org\'s agent with a credential of its own', async () => {
      await node.principals.add(alice.credential)
      const hijack = await issueAgentCredential(initech, { agentDid: alice.signer.did, name: 'alice', ring: 1, capabilities: ['payments/send'] }, { clock, ttlSeconds: 90 * 24 * 3600 })
      const req = await invoke(carol.signer, bob.signer.did, RECORD42, 'records/read', [root, aliceToCarol], [hijack, carol.credential], clock)
      await node.executor.execute(req, { orgDid: initech.did })
      const p = node.principals.check(alice.signer.did)
      expect(p.ok && [p.value.org, p.value.ring]).to.deep.equal([acme.did, 2])
    })

    it('refuses a root delegated to an agent of another org (ROOT_AUDIENCE_NOT_MEMBER)', async () => {
      const stray = await grant(acme, carol.signer.did, RECORDS, 'records/read', clock)
      const req = await invoke(carol.signer, bob.signer.did, RECORD42, 'records/read', [stray], [carol.credential], clock)
      expectRefused(await node.executor.execute(req, { orgDid: initech.did }), 'ROOT_AUDIENCE_NOT_MEMBER', node, req)
    })
  })

  describe('revocation', () => {
    it('a revoked middle link is refused after a cached accept (REVOKED, naming the link)', async () => {
      const input = async (): Promise<TaskRequest> => await baseRequest()
      const warm = await input()
      for (const c of Object.values(warm.credentials)) await node.principals.add(c)
      expect(node.checker.check(warm, { now: clock.now(), audience: bob.signer.did }).ok).to.equal(true)
      expect(node.checker.check(warm, { now: clock.now(), audience: bob.signer.did }).ok).to.equal(true)
      expect(node.checker.cache.size.decisions).to.be.greaterThan(0)
      const first = await input()
      expect((await node.executor.execute(first, { orgDid: initech.did })).outcome).to.equal('ok')
      const cid = await revoke(node, alice.signer, aliceToCarol)
      const cached = node.checker.check(warm, { now: clock.now(), audience: bob.signer.did })
      expect(cached.ok).to.equal(false)
      if (!cached.ok) expect([cached.error.code, cached.error.link]).to.deep.equal(['REVOKED', 1])
      const again = await input()
      const reply = await node.executor.execute(again, { orgDid: initech.did })
      expectRefused(reply, 'REVOKED', node, again)
      expect(reply.link).to.equal(1)
      expect(reply.reason).to.include(cid)
      expect(node.dispatched).to.have.length(1)
    })

    it('the root org may revoke a link below it; the revocation survives a restart', async () => {
      await revoke(node, acme, aliceToCarol)
      await node.reopen()
      const req = await baseRequest()
      expectRefused(await node.executor.execute(req, { orgDid: initech.did }), 'REVOKED', node, req)
    })

    it('a revocation by someone not at or above the link does NOT revoke it', async () => {
      await revoke(node, carol.signer, aliceToCarol) // the audience, below the link
      await revoke(node, mallory, aliceToCarol)
      await revoke(node, initech, aliceToCarol)
      await revoke(node, carol.signer, root)
      const req = await baseRequest()
      const reply = await node.executor.execute(req, { orgDid: initech.did })
      expect(reply.outcome, `${reply.code} ${reply.reason ?? ''}`).to.equal('ok')
    })

    it('a revocation arriving between the check and the run is caught just before execution', async () => {
      node.hooks.beforeDecision.push(async (e) => { if (e.kind === 'task.allow') await revoke(node, alice.signer, aliceToCarol) })
      const req = await baseRequest()
      expectRefused(await node.executor.execute(req, { orgDid: initech.did }), 'REVOKED', node, req)
      expect(node.dispatched).to.have.length(0)
    })
  })

  describe('rings', () => {
    const pay = async (delegator: Agent, caveats?: Array<Record<string, number>>): Promise<TaskRequest> => {
      const r = await grant(acme, delegator.signer.did, PAYMENTS, 'payments/send', clock)
      const d = await grant(delegator.signer, dave.signer.did, PAYMENTS, 'payments/send', clock, { proof: r, ...(caveats != null ? { caveats } : {}) })
      return await invoke(dave.signer, bob.signer.did, `${PAYMENTS}/7`, 'payments/send', [r, d], [delegator.credential, dave.credential], clock, caveats != null ? { caveats } : {})
    }

    it('control: a ring-1 chain may invoke a ring-1 ability', async () => {
      const reply = await node.executor.execute(await pay(amy), { orgDid: globex.did })
      expect(reply.outcome, `${reply.code} ${reply.reason ?? ''}`).to.equal('ok')
    })

    it('confused deputy: a ring-3 agent delegating to a ring-1 agent gives ring 3 (RING_TOO_LOW)', async () => {
      const req = await pay(xena)
      const reply = await node.executor.execute(req, { orgDid: globex.did })
      expectRefused(reply, 'RING_TOO_LOW', node, req)
      expect(reply.reason).to.include('ring 3')
      expect(node.dispatched).to.have.length(0)
    })

    it('the partner\'s enrolment max-ring caps the effective ring (acme enrolled with max-ring 1, then 2)', async () => {
      const direct = async (): Promise<TaskRequest> => {
        const r = await grant(acme, amy.signer.did, PAYMENTS, 'payments/send', clock)
        return await invoke(amy.signer, bob.signer.did, `${PAYMENTS}/7`, 'payments/send', [r], [amy.credential], clock)
      }
      // control: a ring-1 acme agent under max-ring 1 may pay
      const allowed = await node.executor.execute(await direct(), { orgDid: acme.did })
      expect(allowed.outcome, `${allowed.code} ${allowed.reason ?? ''}`).to.equal('ok')
      await node.close()
      node = await openExecNode({ org: globex, orgName: 'globex', localAgents: [bob, dave], enrolled: [{ orgDid: acme.did, maxRing: 2 }, { orgDid: initech.did }], clock })
      const req = await direct()
      const reply = await node.executor.execute(req, { orgDid: acme.did })
      expectRefused(reply, 'RING_TOO_LOW', node, req)
      expect(reply.reason).to.include('ring 2')
      expect(node.dispatched).to.have.length(0)
    })

    it('a partner enrolled without max-ring is capped at the default ring 3', async () => {
      const ivan = await makeAgent('ivan', initech, 1, clock)
      const initechPay = `tm:${initech.did}/payments`
      const r = await grant(initech, ivan.signer.did, initechPay, 'payments/send', clock)
      const req = await invoke(ivan.signer, bob.signer.did, `${initechPay}/7`, 'payments/send', [r], [ivan.credential], clock)
      const reply = await node.executor.execute(req, { orgDid: initech.did })
      expectRefused(reply, 'RING_TOO_LOW', node, req)
      expect(reply.reason).to.include('ring 3')
      expect(node.dispatched).to.have.length(0)
    })

    it('a maxRing caveat caps the effective ring', async () => {
      const req = await pay(amy, [{ maxRing: 2 }])
      const reply = await node.executor.execute(req, { orgDid: globex.did })
      expectRefused(reply, 'RING_TOO_LOW', node, req)
      expect(reply.reason).to.include('maxRing')
    })
  })

  it('audit unwritable: AUDIT_UNAVAILABLE and the agent is not called', async () => {
    node.hooks.beforeDecision.push(async () => { throw new Error('disk full') })
    const req = await baseRequest()
    expectRefused(await node.executor.execute(req, { orgDid: initech.did }), 'AUDIT_UNAVAILABLE', node, req)
    expect(node.dispatched).to.have.length(0)
  })

  it('an agent that is not polling gives NO_HANDLER as an error outcome', async () => {
    await node.close()
    node = await openExecNode({ org: globex, orgName: 'globex', localAgents: [bob], enrolled: [{ orgDid: acme.did }, { orgDid: initech.did }], clock, dispatcher: 'real' })
    const req = await baseRequest()
    const reply = await node.executor.execute(req, { orgDid: initech.did })
    expect([reply.outcome, reply.code]).to.deep.equal(['error', 'NO_HANDLER'])
    const r = verifyReceipt(reply.receipt, { expectedInvocation: cidOfJwt(req.invocation) })
    expect(r.ok && [r.value.outcome, r.value.code]).to.deep.equal(['error', 'NO_HANDLER'])
  })
})

