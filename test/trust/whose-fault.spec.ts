/**
 * Issue 15 item 6 (DESIGN.md section 7, "Whose fault"): evidence counts against a party only for what
 * it did. The scenario of the issue: acme revokes its own delegation to globex's bob, bob's node
 * retries six times and each is refused REVOKED at acme; globex's score at acme must not move. A burst
 * of refusals is bounded: six cannot take a partner from standard to untrusted.
 */
import { expect } from 'chai'
import { evidenceFromReceipt, timeoutEvidence } from '../../node/services/trust/evidence-from-receipt.js'
import { issueReceipt } from '../../node/services/tasks/receipt.js'
import type { EvidenceRecord } from '../../trust/evidence.js'
import { localScore, scoreSubject } from '../../trust/local-score.js'
import { tierOf } from '../../trust/tiers.js'
import { TASK_TIMEOUT_MS } from '../../protocols/task/index.js'
import { acme, alice, bob, globex, principal } from '../helpers/principals.js'
import { fakeClock } from '../helpers/clock.js'

const T0 = Date.UTC(2026, 11, 2)
const acmeNode = principal('acme-node')

/** Six receipts acme's node signs when it refuses bob's retries with `code`, one second apart. */
async function refusals (code: string, n = 6): Promise<EvidenceRecord[]> {
  const out: EvidenceRecord[] = []
  for (let i = 0; i < n; i++) {
    const receipt = await issueReceipt(acmeNode, { org: acme.did, inv: `bafy-retry-${code}-${i}`, executor: alice.did, invoker: bob.did, outcome: 'denied', code, durationMs: 2, iat: Math.floor(T0 / 1000) + i })
    const { record } = evidenceFromReceipt({ receipt, direction: 'issued', selfOrg: acme.did, invokerOrg: globex.did, now: T0 + i * 1000 })
    if (record != null) out.push(record)
  }
  return out
}

/** `n` successes of globex's bob witnessed by acme at `at`. */
function successes (n: number, at = T0): EvidenceRecord[] {
  return Array.from({ length: n }, (_, i) => ({ receiptCid: `bafy-ok-${i}`, executorOrg: acme.did, subjectAgent: bob.did, subjectOrg: globex.did, outcome: 'ok' as const, at }))
}

describe('trust evidence blames the right party (issue 15 item 6)', () => {
  it('six REVOKED refusals at acme, under a link acme revoked, do not lower globex\'s score at acme', async () => {
    const clock = fakeClock(T0 + 10_000)
    const before = scoreSubject(successes(0), globex.did, clock).score
    const after = scoreSubject([...successes(0), ...await refusals('REVOKED')], globex.did, clock).score
    expect(after).to.equal(before)
    expect(tierOf(after)).to.equal('probationary')
  })

  it('a refusal by this org\'s own policy is no evidence against the invoker', async () => {
    expect(await refusals('POLICY_DENY')).to.deep.equal([])
  })

  it('a forged or widened request still counts against the party that sent it', async () => {
    for (const code of ['BAD_SIGNATURE', 'ESCALATION', 'TIME_WIDENED', 'CAVEAT_NOT_MET', 'REPLAYED']) {
      expect(await refusals(code, 1), code).to.have.length(1)
    }
  })

  it('our own short timeout is not the partner\'s timeout; a full product timeout is', () => {
    const task = { id: 'inv-1', executor: bob.did, peerOrg: globex.did, at: T0 }
    expect(timeoutEvidence({ ...task, durationMs: 1_000 }, acme.did), '--timeout 1').to.equal(undefined)
    expect(timeoutEvidence({ ...task, durationMs: TASK_TIMEOUT_MS - 1 }, acme.did)).to.equal(undefined)
    expect(timeoutEvidence({ ...task, durationMs: TASK_TIMEOUT_MS }, acme.did)).to.include({ outcome: 'timeout', subjectOrg: globex.did })
  })

  it('a burst of six violations cannot take a partner from standard to untrusted (bounded per burst)', () => {
    // the weakest standard standing: just enough fresh successes to reach 500
    let n = 0
    while (localScore(successes(n), T0).tier !== 'standard') n++
    const violations: EvidenceRecord[] = Array.from({ length: 6 }, (_, i) => ({ receiptCid: `bafy-v-${i}`, executorOrg: acme.did, subjectAgent: bob.did, subjectOrg: globex.did, outcome: 'denied' as const, policyViolation: true, at: T0 + i * 1000 }))
    const after = localScore([...successes(n), ...violations], T0 + 10_000)
    expect(after.tier, `score ${after.score} after the burst`).to.not.equal('untrusted')
    // a burst costs at most two violations' weight; violations far apart each count
    expect(after.failureWeight).to.be.closeTo(2 * 3, 0.01)
    const spread = violations.map((v, i) => ({ ...v, at: T0 - i * 3_600_000 }))
    expect(localScore([...successes(n), ...spread], T0).failureWeight).to.be.greaterThan(5 * 3 * 0.98)
  })
})
