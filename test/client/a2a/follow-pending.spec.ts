/** The A2A bridge's follow of a task held for approval (client/a2a/follow-pending.ts), with a fake agent. */
import { expect } from 'chai'
import { followPending } from '../../../client/a2a/follow-pending.js'
import type { TaskOutcome } from '../../../client/agent.js'

const first: TaskOutcome = { id: 'bafy-t1', targetOrg: 'did:key:zGlobex', outcome: 'pending', code: 'APPROVAL_REQUIRED', approvalId: 'ap-1' }
const quick = { intervalMs: 1, maxIntervalMs: 2 }

function agentAnswering (answers: Array<TaskOutcome | Error>): { status: (id: string) => Promise<TaskOutcome>, asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    status: async (id) => {
      asked.push(id)
      const a = answers.shift() ?? { ...first }
      if (a instanceof Error) throw a
      return a
    }
  }
}
const coded = (code: string): Error => Object.assign(new Error(`${code} happened`), { code })

describe('A2A bridge: following a task held for approval', () => {
  it('asks until the task has an outcome, through pending answers and an unreachable executing node', async () => {
    const agent = agentAnswering([{ ...first }, coded('PEER_UNREACHABLE'), { ...first, outcome: 'ok', code: 'OK', output: { paid: true } }])
    const r = await followPending(agent, first, { ...quick, signal: new AbortController().signal })
    expect(r).to.deep.include({ outcome: 'ok', code: 'OK', output: { paid: true } })
    expect(agent.asked).to.deep.equal(['bafy-t1', 'bafy-t1', 'bafy-t1'])
  })

  it('a denial by the approver is the outcome', async () => {
    const r = await followPending(agentAnswering([{ ...first, outcome: 'denied', code: 'APPROVAL_DENIED' }]), first, { ...quick, signal: new AbortController().signal })
    expect(r).to.deep.include({ outcome: 'denied', code: 'APPROVAL_DENIED' })
  })

  it('an unknown task or an answer without its receipt ends the follow with that code', async () => {
    for (const code of ['UNKNOWN_TASK', 'BAD_RECEIPT']) {
      const r = await followPending(agentAnswering([coded(code)]), first, { ...quick, signal: new AbortController().signal })
      expect(r).to.deep.include({ outcome: 'error', code })
    }
  })

  it('past the executing node\'s deadline (and its grace) it is APPROVAL_UNDECIDED, not auth-required forever', async () => {
    let t = 1_000_000
    const agent = { status: async (): Promise<TaskOutcome> => { t += 1_000; return { ...first, deadline: 1_003_000 } } }
    const r = await followPending(agent, first, { ...quick, graceMs: 2_000, now: () => t, signal: new AbortController().signal })
    expect(r).to.deep.include({ outcome: 'error', code: 'APPROVAL_UNDECIDED' })
    expect(t).to.be.at.least(1_005_000).and.below(1_008_000)
  })

  it('a closing bridge ends the follow at once (BRIDGE_CLOSED)', async () => {
    const ac = new AbortController()
    const following = followPending(agentAnswering([]), first, { intervalMs: 60_000, signal: ac.signal })
    ac.abort()
    expect(await following).to.deep.include({ outcome: 'error', code: 'BRIDGE_CLOSED' })
  })
})
