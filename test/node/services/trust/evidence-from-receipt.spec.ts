import { expect } from 'chai'
import { evidenceFromReceipt, misbehaviourEvidence, timeoutEvidence } from '../../../../node/services/trust/evidence-from-receipt.js'
import { issueReceipt, type ReceiptClaims } from '../../../../node/services/tasks/receipt.js'
import { acme, alice, bob, globex, principal } from '../../../helpers/principals.js'

const T0 = Date.UTC(2026, 0, 1)
const globexNode = principal('globex-node')
const acmeNode = principal('acme-node')

async function receipt (signer = globexNode, claims: Partial<Omit<ReceiptClaims, 'iss'>> = {}): Promise<string> {
  return await issueReceipt(signer, { org: globex.did, inv: 'bafy-inv', executor: bob.did, invoker: alice.did, outcome: 'ok', code: 'OK', durationMs: 3, iat: T0 / 1000, ...claims })
}

describe('trust evidence from receipts', () => {
  it('a received receipt is evidence about the executing agent and its org (witness: this org)', async () => {
    for (const outcome of ['ok', 'error'] as const) {
      const r = evidenceFromReceipt({ receipt: await receipt(globexNode, { outcome }), direction: 'received', selfOrg: acme.did, now: T0 })
      expect(r.record).to.deep.equal({ receiptCid: 'bafy-inv', executorOrg: acme.did, subjectAgent: bob.did, subjectOrg: globex.did, outcome, at: T0 })
    }
  })

  it('a received denial or pending is no evidence about the executor', async () => {
    for (const outcome of ['denied', 'pending'] as const) {
      expect(evidenceFromReceipt({ receipt: await receipt(globexNode, { outcome, code: 'POLICY_DENY' }), direction: 'received', selfOrg: acme.did, now: T0 }).record).to.equal(undefined)
    }
  })

  it('an issued denial for a policy violation is evidence against the invoker; other issued receipts are not', async () => {
    const mk = async (outcome: ReceiptClaims['outcome'], code: string): Promise<string> => await receipt(acmeNode, { org: acme.did, executor: alice.did, invoker: bob.did, outcome, code })
    const v = evidenceFromReceipt({ receipt: await mk('denied', 'ESCALATION'), direction: 'issued', selfOrg: acme.did, invokerOrg: globex.did, now: T0 })
    expect(v.record).to.include({ subjectAgent: bob.did, subjectOrg: globex.did, outcome: 'denied', policyViolation: true })
    expect(evidenceFromReceipt({ receipt: await mk('denied', 'TRUST_TOO_LOW'), direction: 'issued', selfOrg: acme.did, invokerOrg: globex.did, now: T0 }).record).to.equal(undefined)
    expect(evidenceFromReceipt({ receipt: await mk('denied', 'AUDIT_UNAVAILABLE'), direction: 'issued', selfOrg: acme.did, invokerOrg: globex.did, now: T0 }).record).to.equal(undefined)
    expect(evidenceFromReceipt({ receipt: await mk('error', 'X'), direction: 'issued', selfOrg: acme.did, invokerOrg: globex.did, now: T0 }).record).to.equal(undefined)
    expect(evidenceFromReceipt({ receipt: await mk('denied', 'POLICY_DENY'), direction: 'issued', selfOrg: acme.did, invokerOrg: globex.did, now: T0 }).record, 'our own policy').to.equal(undefined)
    expect(evidenceFromReceipt({ receipt: await mk('denied', 'ESCALATION'), direction: 'issued', selfOrg: acme.did, now: T0 }).record, 'invoker org unknown').to.equal(undefined)
  })

  it('a bit-flipped receipt is no evidence', async () => {
    const [h, p, s] = (await receipt()).split('.')
    const sig = Buffer.from(s, 'base64url'); sig[1] ^= 1
    expect(evidenceFromReceipt({ receipt: `${h}.${p}.${sig.toString('base64url')}`, direction: 'received', selfOrg: acme.did, now: T0 }).record).to.equal(undefined)
  })

  it('timeouts and forged attestations are first-hand evidence; nothing about this org', () => {
    expect(timeoutEvidence({ id: 'inv', executor: bob.did, peerOrg: globex.did, at: T0, durationMs: 30_000 }, acme.did)).to.include({ outcome: 'timeout', subjectOrg: globex.did, at: T0 + 30_000 })
    expect(timeoutEvidence({ id: 'inv', executor: alice.did, peerOrg: acme.did, at: T0, durationMs: 1 }, acme.did)).to.equal(undefined)
    expect(misbehaviourEvidence('rid', globex.did, acme.did, T0)).to.include({ subjectOrg: globex.did, policyViolation: true, receiptCid: 'attestation:rid' })
    expect(misbehaviourEvidence('rid', acme.did, acme.did, T0)).to.equal(undefined)
  })
})
