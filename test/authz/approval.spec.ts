import { expect } from 'chai'
import { signJwt } from '../../identity/jwt.js'
import { APPROVAL_TYP, ApprovalCode, decidePending, issueApproval, verifyApproval, type Approval } from '../../authz/approval.js'
import { ELEVATION_TYP } from '../../authz/elevation.js'
import { fakeClock } from '../helpers/clock.js'
import { alice, carol, mallory } from '../helpers/principals.js'

const T0 = Date.UTC(2026, 0, 1)
const approvers = [alice.did, carol.did]

describe('policy/approval', () => {
  it('issues and verifies an approval from an enrolled approver', async () => {
    const clock = fakeClock()
    const jwt = await issueApproval(alice, { taskId: 'task-1', decision: 'approve', ttlSeconds: 3600 }, clock)
    const r = verifyApproval(jwt, { taskId: 'task-1', approvers, clock })
    expect(r.ok).to.equal(true)
    if (r.ok) expect(r.value).to.include({ iss: alice.did, sub: 'task-1', decision: 'approve' })
  })

  it('rejects expired, unenrolled, wrong task, wrong type and forged approvals', async () => {
    const clock = fakeClock()
    const ok = await issueApproval(alice, { taskId: 'task-1', decision: 'approve', ttlSeconds: 600 }, clock)
    const [h, p] = ok.split('.')
    const otherSig = (await issueApproval(alice, { taskId: 'task-2', decision: 'approve', ttlSeconds: 600 }, clock)).split('.')[2]
    const asElevation = await signJwt({ iss: alice.did, sub: 'task-1', decision: 'approve', iat: T0 / 1000, exp: T0 / 1000 + 60, jti: 'x' }, alice, { typ: ELEVATION_TYP })
    const cases: Array<[string, string, string]> = [
      ['unenrolled approver', await issueApproval(mallory, { taskId: 'task-1', decision: 'approve', ttlSeconds: 600 }, clock), ApprovalCode.APPROVER_NOT_ENROLLED],
      ['wrong task', await issueApproval(alice, { taskId: 'task-2', decision: 'approve', ttlSeconds: 600 }, clock), ApprovalCode.APPROVAL_WRONG_TASK],
      ['bad signature', `${h}.${p}.${otherSig}`, 'BAD_SIGNATURE'],
      ['another record type', asElevation, ApprovalCode.APPROVAL_MALFORMED],
      ['not a JWT', 'nope', 'MALFORMED_TOKEN']
    ]
    for (const [name, jwt, code] of cases) {
      const r = verifyApproval(jwt, { taskId: 'task-1', approvers, clock })
      expect(r.ok ? 'ok' : r.error.code, name).to.equal(code)
    }
    clock.advance(600_000 + 61_000)
    const r = verifyApproval(ok, { taskId: 'task-1', approvers, clock })
    expect(r.ok ? 'ok' : r.error.code).to.equal(ApprovalCode.APPROVAL_EXPIRED)
  })

  it('refuses a forged decision value', async () => {
    const jwt = await signJwt({ iss: alice.did, sub: 'task-1', decision: 'maybe', iat: T0 / 1000, exp: T0 / 1000 + 60, jti: 'x' }, alice, { typ: APPROVAL_TYP })
    const r = verifyApproval(jwt, { taskId: 'task-1', approvers, clock: fakeClock() })
    expect(r.ok ? 'ok' : r.error.code).to.equal(ApprovalCode.APPROVAL_MALFORMED)
  })

  describe('decidePending', () => {
    const task = { taskId: 'task-1', deadline: T0 + 3600_000 }
    const s = T0 / 1000
    const approval = (over: Partial<Approval> = {}): Approval => ({ iss: alice.did, sub: 'task-1', decision: 'approve', iat: s + 60, exp: s + 7200, jti: 'a1', ...over })
    const table: Array<[string, Approval | undefined, number, ((j: string) => boolean) | undefined, string, string]> = [
      ['no decision yet', undefined, T0 + 1000, undefined, 'require_approval', ApprovalCode.APPROVAL_PENDING],
      ['no decision by the deadline', undefined, T0 + 3600_000, undefined, 'deny', ApprovalCode.APPROVAL_TIMEOUT],
      ['approved', approval(), T0 + 120_000, undefined, 'allow', ApprovalCode.APPROVAL_GRANTED],
      ['denied by the approver', approval({ decision: 'deny' }), T0 + 120_000, undefined, 'deny', ApprovalCode.APPROVAL_DENIED],
      ['reused approval', approval(), T0 + 120_000, (j) => j === 'a1', 'deny', ApprovalCode.APPROVAL_REUSED],
      ['expired approval', approval({ exp: s + 100 }), T0 + 200_000, undefined, 'deny', ApprovalCode.APPROVAL_EXPIRED],
      ['approval given after the deadline', approval({ iat: s + 4000, exp: s + 9000 }), T0 + 4100_000, undefined, 'deny', ApprovalCode.APPROVAL_TIMEOUT],
      ['approval 20 ms after the deadline, in the deadline\'s second', approval({ iat: s + 3600, exp: s + 9000 }), T0 + 3600_020, undefined, 'deny', ApprovalCode.APPROVAL_TIMEOUT],
      ['approval exactly at the deadline', approval({ iat: s + 3600, exp: s + 9000 }), T0 + 3600_000, undefined, 'deny', ApprovalCode.APPROVAL_TIMEOUT],
      ['approval 1 ms before the deadline', approval({ iat: s + 3599, exp: s + 9000 }), T0 + 3599_999, undefined, 'allow', ApprovalCode.APPROVAL_GRANTED],
      ['approval of another task', approval({ sub: 'task-9' }), T0 + 120_000, undefined, 'deny', ApprovalCode.APPROVAL_WRONG_TASK]
    ]
    for (const [name, a, now, used, effect, code] of table) {
      it(`${name} -> ${effect} ${code}`, () => {
        const d = decidePending(task, a, now, used)
        expect(d.effect).to.equal(effect)
        expect(d.code).to.equal(code)
      })
    }
  })
})
