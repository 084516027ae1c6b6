/** The SDK's plan memory: a plan is reused only for a resource its delegation covers, within its window and PLAN_REUSE_MS. */
import { expect } from 'chai'
import { PlanMemory, PLAN_REUSE_MS, type TaskPlanReply } from '../../client/plan-memory.js'
import { issueDelegation } from '../../identity/ucan/index.js'
import { fakeClock } from '../helpers/clock.js'
import { acme, alice, bob } from '../helpers/principals.js'

describe('client: plan memory', () => {
  const records = `tm:${acme.did}/records`

  async function planAt (clock: ReturnType<typeof fakeClock>, chainExpiration: number): Promise<TaskPlanReply> {
    const d = await issueDelegation(alice, { audience: bob.did, capabilities: { [records]: { 'records/read': [{ maxAmount: 5 }] } }, expiration: chainExpiration, nonce: 'plan-memory' })
    const nowS = Math.floor(clock.now() / 1000)
    return { audience: alice.did, resource: `${records}/1`, ability: 'records/read', caveats: [{ maxAmount: 5 }] as never, proof: { cid: d.cid, jwt: d.jwt }, notBefore: nowS - 1, expiration: Math.min(nowS + 60, chainExpiration), chain: { expiration: chainExpiration, invocationTtlSeconds: 60 } }
  }

  it('derives the plan for another resource under the same delegation, with a fresh window inside the chain', async () => {
    const clock = fakeClock()
    const memory = new PlanMemory(clock)
    const nowS = Math.floor(clock.now() / 1000)
    const plan = await planAt(clock, nowS + 3600)
    memory.remember({ to: alice.did, ability: 'records/read', resource: `${records}/1`, proof: plan.proof.cid }, plan)
    clock.advance(5_000)
    const again = memory.reuse({ to: alice.did, ability: 'records/read', resource: `${records}/2`, proof: plan.proof.cid })
    expect(again).to.include({ audience: alice.did, resource: `${records}/2`, ability: 'records/read', notBefore: nowS + 4, expiration: nowS + 65 })
    expect(again?.caveats).to.deep.equal([{ maxAmount: 5 }])
    expect(again?.proof).to.deep.equal(plan.proof)
    expect(memory.reused).to.equal(1)
  })

  it('asks the node again: another resource org, another ability, another target, after PLAN_REUSE_MS, or past the chain', async () => {
    const clock = fakeClock()
    const memory = new PlanMemory(clock)
    const nowS = Math.floor(clock.now() / 1000)
    const plan = await planAt(clock, nowS + 30)
    const want = { to: alice.did, ability: 'records/read', resource: `${records}/1`, proof: plan.proof.cid }
    memory.remember(want, plan)
    expect(memory.reuse({ ...want, resource: `tm:${bob.did}/records/1` })).to.equal(undefined)
    expect(memory.reuse({ ...want, ability: 'records/write' })).to.equal(undefined)
    expect(memory.reuse({ ...want, to: bob.did })).to.equal(undefined)
    expect(memory.reuse(want)?.expiration, 'clipped to the chain').to.equal(nowS + 30)
    clock.advance(PLAN_REUSE_MS)
    expect(memory.reuse(want)).to.equal(undefined)
    memory.remember(want, { ...plan, chain: { expiration: nowS + 5, invocationTtlSeconds: 60 } })
    expect(memory.reuse(want), 'the chain has ended').to.equal(undefined)
    memory.remember(want, plan)
    memory.forget(want)
    expect(memory.reuse(want)).to.equal(undefined)
    const { chain: _c, ...old } = plan
    memory.remember(want, old)
    expect(memory.reuse(want), 'a node that gives no chain bounds').to.equal(undefined)
  })
})
