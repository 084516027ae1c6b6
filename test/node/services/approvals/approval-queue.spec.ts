/** The durable approval queue: park, decide once with a signed approval, deadline, restart. */
import { expect } from 'chai'
import { MemoryRepository } from '../../../../node/store/memory-repository.js'
import { silentLogger } from '../../../../identity/logger.js'
import { ApprovalQueue, ApprovalError, type ParkedRecord } from '../../../../node/services/approvals/approval-queue.js'
import { issueApproval } from '../../../../authz/index.js'
import type { ParkedTask, DecisionEvent } from '../../../../node/components.js'
import type { TaskReply } from '../../../../protocols/task/messages.js'
import { fakeClock, type FakeClock } from '../../../helpers/clock.js'
import { acme, mallory, alice, bob } from '../../../helpers/principals.js'

const task: ParkedTask = { taskId: 'bafkreitask1', invoker: alice.did, invokerOrg: 'did:key:org', executor: bob.did, ability: 'payments/send', resource: 'tm:x/payments', args: { amount: 1 }, request: { req: {}, from: { orgDid: 'did:key:org' } }, reason: 'needs a human' }

/** Named approvers: two payments approvers and one without a role. */
const APPROVERS = new Map<string, { name: string, role?: string }>([
  [acme.did, { name: 'ann', role: 'payments-approver' }],
  [bob.did, { name: 'bea', role: 'payments-approver' }],
  [alice.did, { name: 'al' }]
])

interface Harness { queue: ApprovalQueue, clock: FakeClock, runs: string[], audit: DecisionEvent[], repo: MemoryRepository<ParkedRecord>, uses: MemoryRepository<number>, make: () => ApprovalQueue }

function harness (opts: { auditFails?: boolean, onAudit?: (e: DecisionEvent) => void } = {}): Harness {
  const clock = fakeClock()
  const repo = new MemoryRepository<ParkedRecord>('approvals')
  const uses = new MemoryRepository<number>('approval-uses')
  const runs: string[] = []
  const audit: DecisionEvent[] = []
  const make = (): ApprovalQueue => new ApprovalQueue({
    repo, uses, clock, logger: silentLogger(), approvers: () => [...APPROVERS.keys()], approver: (did) => APPROVERS.get(did), deadlineMs: 60_000,
    audit: async (e) => { if (opts.auditFails === true) throw new Error('disk full'); opts.onAudit?.(e); audit.push(e) },
    run: async (rec): Promise<TaskReply> => { runs.push(rec.task.taskId); return { outcome: 'ok', code: 'OK', reason: 'done', receipt: 'r' } },
    refuse: async (_rec, code, reason): Promise<TaskReply> => ({ outcome: 'denied', code, reason, receipt: 'r' })
  })
  return { queue: make(), clock, runs, audit, repo, uses, make }
}

describe('approvals: the durable queue', () => {
  it('parks a task once (same task, same id) and approves it with an org-signed approval', async () => {
    const h = harness()
    const id = await h.queue.park(task)
    expect(await h.queue.park(task)).to.equal(id)
    const jwt = await issueApproval(acme, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300 }, h.clock)
    const done = await h.queue.decide(id, jwt)
    expect([done.state, done.result?.outcome]).to.deep.equal(['approved', 'ok'])
    expect(h.runs).to.deep.equal([task.taskId])
    expect(h.audit.map(e => [e.kind, e.reason])).to.deep.equal([['approval', 'APPROVAL_GRANTED']])
  })

  it('an approval can be used once, even for another parked task', async () => {
    const h = harness()
    const id1 = await h.queue.park(task)
    const jwt = await issueApproval(acme, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300 }, h.clock)
    await h.queue.decide(id1, jwt)
    await h.repo.put(id1, { ...(h.queue.get(id1) as ParkedRecord), state: 'pending' })
    const q2 = h.make()
    await q2.load()
    const err = await q2.decide(id1, jwt).catch((e: ApprovalError) => e)
    expect((err as ApprovalError).code).to.equal('APPROVAL_REUSED')
    expect(h.runs).to.have.length(1)
  })

  it('refuses approvals by keys not enrolled as approvers, and for another task', async () => {
    const h = harness()
    const id = await h.queue.park(task)
    const byMallory = await issueApproval(mallory, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300 }, h.clock)
    expect(((await h.queue.decide(id, byMallory).catch(e => e)) as ApprovalError).code).to.equal('APPROVER_NOT_ENROLLED')
    const other = await issueApproval(acme, { taskId: 'bafkreiother', decision: 'approve', ttlSeconds: 300 }, h.clock)
    expect(((await h.queue.decide(id, other).catch(e => e)) as ApprovalError).code).to.equal('APPROVAL_WRONG_TASK')
    expect(h.queue.get(id)?.state).to.equal('pending')
    expect(h.runs).to.deep.equal([])
  })

  it('a deny decision denies', async () => {
    const h = harness()
    const id = await h.queue.park(task)
    const done = await h.queue.decide(id, await issueApproval(acme, { taskId: task.taskId, decision: 'deny', ttlSeconds: 300 }, h.clock))
    expect([done.state, done.result?.code]).to.deep.equal(['denied', 'APPROVAL_DENIED'])
    expect(h.runs).to.deep.equal([])
  })

  it('no decision by the deadline is a DENY (timer), and a late approval is refused', async () => {
    const h = harness()
    const id = await h.queue.park(task)
    h.clock.advance(59_000)
    expect(await h.queue.expireDue()).to.equal(0)
    h.clock.advance(1_000)
    expect(await h.queue.expireDue()).to.equal(1)
    expect([h.queue.get(id)?.state, h.queue.get(id)?.result?.code]).to.deep.equal(['expired', 'APPROVAL_TIMEOUT'])
    const jwt = await issueApproval(acme, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300 }, h.clock)
    expect(((await h.queue.decide(id, jwt).catch(e => e)) as ApprovalError).code).to.equal('APPROVAL_ALREADY_DECIDED')
    expect(h.runs).to.deep.equal([])
  })

  it('an approval given after the deadline is a DENY even before the timer ran', async () => {
    const h = harness()
    const id = await h.queue.park(task)
    h.clock.advance(61_000)
    const done = await h.queue.decide(id, await issueApproval(acme, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300 }, h.clock))
    expect([done.state, done.result?.code]).to.deep.equal(['expired', 'APPROVAL_TIMEOUT'])
    expect(h.runs).to.deep.equal([])
  })

  it('an expired approval is refused', async () => {
    const h = harness()
    const id = await h.queue.park(task)
    const jwt = await issueApproval(acme, { taskId: task.taskId, decision: 'approve', ttlSeconds: 10 }, h.clock)
    h.clock.advance(30_000)
    const done = await h.queue.decide(id, jwt).catch((e: ApprovalError) => e)
    expect(done instanceof ApprovalError ? done.code : (done).result?.code).to.equal('APPROVAL_EXPIRED')
    expect(h.runs).to.deep.equal([])
  })

  it('parked tasks survive a restart (a new queue over the same store)', async () => {
    const h = harness()
    const id = await h.queue.park(task)
    const q2 = h.make()
    await q2.load()
    expect(q2.list('pending').map(r => r.id)).to.deep.equal([id])
    const done = await q2.decide(id, await issueApproval(acme, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300 }, h.clock))
    expect(done.result?.outcome).to.equal('ok')
  })

  it('an unwritable audit log refuses the decision and nothing runs', async () => {
    const h = harness({ auditFails: true })
    const id = await h.queue.park(task)
    const err = await h.queue.decide(id, await issueApproval(acme, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300 }, h.clock)).catch(e => e as Error)
    expect(err).to.be.instanceOf(Error)
    expect(h.runs).to.deep.equal([])
  })

  describe('the deadline, in milliseconds, at every path that runs a parked task', () => {
    it('an approval 20 ms after the deadline (same second) is refused APPROVAL_TIMEOUT and nothing runs', async () => {
      const h = harness()
      const id = await h.queue.park(task)
      h.clock.advance(60_020)
      const done = await h.queue.decide(id, await issueApproval(acme, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300 }, h.clock))
      expect([done.state, done.result?.code]).to.deep.equal(['expired', 'APPROVAL_TIMEOUT'])
      expect(h.runs).to.deep.equal([])
    })

    it('an approval exactly at the deadline is refused', async () => {
      const h = harness()
      const id = await h.queue.park(task)
      h.clock.advance(60_000)
      const done = await h.queue.decide(id, await issueApproval(acme, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300 }, h.clock))
      expect([done.state, done.result?.code]).to.deep.equal(['expired', 'APPROVAL_TIMEOUT'])
      expect(h.runs).to.deep.equal([])
    })

    it('an approval 1 ms before the deadline runs the task', async () => {
      const h = harness()
      const id = await h.queue.park(task)
      h.clock.advance(59_999)
      const done = await h.queue.decide(id, await issueApproval(acme, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300 }, h.clock))
      expect([done.state, done.result?.outcome]).to.deep.equal(['approved', 'ok'])
      expect(h.runs).to.deep.equal([task.taskId])
    })

    it('the run after an approval is refused when the deadline passed while the decision was recorded', async () => {
      let clock: FakeClock | undefined
      const h = harness({ onAudit: () => clock?.advance(50) })
      clock = h.clock
      const id = await h.queue.park(task)
      h.clock.advance(59_980)
      const done = await h.queue.decide(id, await issueApproval(acme, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300 }, h.clock))
      expect([done.state, done.result?.code]).to.deep.equal(['expired', 'APPROVAL_TIMEOUT'])
      expect(h.runs).to.deep.equal([])
    })

    it('after a restart, a task approved but not run is refused once its deadline has passed', async () => {
      const h = harness()
      const id = await h.queue.park(task)
      h.clock.advance(10_000)
      const rec = h.queue.get(id) as ParkedRecord
      // a crash between recording the approval and running the task
      await h.repo.put(id, { ...rec, state: 'approved', decidedAt: h.clock.now(), decidedBy: acme.did })
      h.clock.advance(60_000)
      const q2 = h.make()
      await q2.load()
      expect(await q2.resumeInterrupted()).to.equal(1)
      expect([q2.get(id)?.state, q2.get(id)?.result?.code]).to.deep.equal(['expired', 'APPROVAL_TIMEOUT'])
      expect(h.runs).to.deep.equal([])
    })

    it('after a restart, a task approved before its deadline and not run is run once, before the deadline', async () => {
      const h = harness()
      const id = await h.queue.park(task)
      h.clock.advance(10_000)
      const rec = h.queue.get(id) as ParkedRecord
      await h.repo.put(id, { ...rec, state: 'approved', decidedAt: h.clock.now(), decidedBy: acme.did })
      const q2 = h.make()
      await q2.load()
      expect(await q2.resumeInterrupted()).to.equal(1)
      expect(q2.get(id)?.result?.outcome).to.equal('ok')
      expect(await q2.resumeInterrupted()).to.equal(0)
      expect(h.runs).to.deep.equal([task.taskId])
    })

    it('after a restart, a record marked approved at or after its deadline is refused even before the deadline check', async () => {
      const h = harness()
      const id = await h.queue.park(task)
      const rec = h.queue.get(id) as ParkedRecord
      await h.repo.put(id, { ...rec, state: 'approved', decidedAt: rec.deadline + 20, decidedBy: acme.did })
      const q2 = h.make()
      await q2.load()
      await q2.resumeInterrupted()
      expect([q2.get(id)?.state, q2.get(id)?.result?.code]).to.deep.equal(['expired', 'APPROVAL_TIMEOUT'])
      expect(h.runs).to.deep.equal([])
    })
  })

  it('a two-person rule needs two distinct approvers of the role; each justification is audited', async () => {
    const h = harness()
    const id = await h.queue.park({ ...task, approvals: { count: 2, role: 'payments-approver', rule: 'big-payments' } })
    const sign = async (who: typeof acme, reason: string): Promise<string> => await issueApproval(who, { taskId: task.taskId, decision: 'approve', ttlSeconds: 300, reason }, h.clock)
    const first = await h.queue.decide(id, await sign(acme, 'invoice 7 checked'))
    expect(first.state).to.equal('pending')
    expect(first.approvals?.map(a => [a.name, a.reason])).to.deep.equal([['ann', 'invoice 7 checked']])
    expect(h.runs).to.deep.equal([])
    expect(((await h.queue.decide(id, await sign(acme, 'again')).catch(e => e)) as ApprovalError).code).to.equal('APPROVER_ALREADY_DECIDED')
    expect(((await h.queue.decide(id, await sign(alice, 'me too')).catch(e => e)) as ApprovalError).code).to.equal('APPROVER_WRONG_ROLE')
    const second = await h.queue.decide(id, await sign(bob, 'second pair of eyes'))
    expect([second.state, second.result?.outcome]).to.deep.equal(['approved', 'ok'])
    expect(h.runs).to.deep.equal([task.taskId])
    expect(h.audit.map(e => [e.reason, e.details.name, e.details.justification])).to.deep.equal([
      ['APPROVAL_PARTIAL', 'ann', 'invoice 7 checked'],
      ['APPROVAL_GRANTED', 'bea', 'second pair of eyes']
    ])
  })

  it('one deny of a two-person task denies it, with the justification in the refusal', async () => {
    const h = harness()
    const id = await h.queue.park({ ...task, approvals: { count: 2, role: 'payments-approver' } })
    const done = await h.queue.decide(id, await issueApproval(bob, { taskId: task.taskId, decision: 'deny', ttlSeconds: 300, reason: 'unknown payee' }, h.clock))
    expect([done.state, done.result?.code]).to.deep.equal(['denied', 'APPROVAL_DENIED'])
    expect(done.result?.reason).to.contain('unknown payee')
    expect(h.runs).to.deep.equal([])
  })
})
