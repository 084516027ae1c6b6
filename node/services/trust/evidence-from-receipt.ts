/**
 * Turns what this node observed into first-hand trust evidence (DESIGN.md section 7). Only the node
 * that observes an outcome records it:
 *  - a verified receipt this node RECEIVED for a task it sent: evidence about the executing agent and
 *    its org (ok or error; a denial is the target enforcing its own rules, not misbehaviour);
 *  - a receipt this node ISSUED when it DENIED a task for a policy violation: evidence about the
 *    invoking agent and its org;
 *  - a task this node sent that timed out (no receipt): timeout evidence about the target.
 * In the stored record `executorOrg` is the witness: the org whose node observed the outcome (this
 * node). `admitEvidence` therefore drops anything about this node's own org (self-evidence).
 *
 * Whose fault (DESIGN.md section 7): only what the party did counts. A refusal this org caused is
 * never evidence: our own policy (`POLICY_DENY`), a link we revoked or a revocation still in flight
 * (`REVOKED`: the receipt cannot tell whether the revocation had reached the partner before it sent
 * the request, so it does not count), our own short timeout, our node being down.
 */
import { verifyReceipt } from '../tasks/receipt.js'
import { TASK_TIMEOUT_MS } from '../../../protocols/task/index.js'
import type { EvidenceRecord } from '../../../trust/index.js'

/**
 * Denial codes that mean the invoker sent a forged, widened or malformed request: things it did.
 * Not here on purpose: `POLICY_DENY` (this org's own policy), `REVOKED` (see the header),
 * `TRUST_TOO_LOW` and node-side failures.
 */
export const VIOLATION_CODES: ReadonlySet<string> = new Set([
  'CARRIED_POLICY_DENY', 'CAVEAT_NOT_MET', 'RING_TOO_LOW', 'RING_ESCALATION', 'ESCALATION',
  'REPLAYED', 'INVOKER_NOT_FROM_PEER', 'PRINCIPAL_MISALIGNED', 'TIME_WIDENED', 'ROOT_NOT_OWNER',
  'BAD_SIGNATURE', 'CID_MISMATCH', 'CYCLE', 'CHAIN_TOO_DEEP', 'CHAIN_TOO_LARGE', 'TOO_MANY_PROOFS'
])

/**
 * Shortest wait that makes a timeout the partner's fault: the task timeout the product promises. A
 * sender that gave up sooner (`--timeout 1`) chose its own deadline.
 */
export const MIN_BLAMED_TIMEOUT_MS = TASK_TIMEOUT_MS

export interface ReceiptEvidenceInput {
  receipt: string
  direction: 'issued' | 'received'
  /** This node's org DID (the witness). */
  selfOrg: string
  /** Org of the invoker, for issued receipts (resolved from its AgentCredential); undefined if unknown. */
  invokerOrg?: string
  /** When it was observed, ms. */
  now: number
}

/** The evidence a receipt yields, or undefined when it yields none (with the reason, for logs). */
export function evidenceFromReceipt (input: ReceiptEvidenceInput): { record?: EvidenceRecord, skipped?: string } {
  const r = verifyReceipt(input.receipt)
  if (!r.ok) return { skipped: `receipt does not verify: ${r.error.message}` }
  const c = r.value
  if (input.direction === 'received') {
    if (c.org === input.selfOrg) return { skipped: 'self-evidence' }
    if (c.outcome !== 'ok' && c.outcome !== 'error') return { skipped: `outcome ${c.outcome} is not evidence about the executor` }
    return { record: { receiptCid: c.inv, executorOrg: input.selfOrg, subjectAgent: c.executor, subjectOrg: c.org, outcome: c.outcome, at: input.now } }
  }
  if (c.org !== input.selfOrg) return { skipped: 'issued receipt not signed for this org' }
  if (c.outcome !== 'denied' || !VIOLATION_CODES.has(c.code)) return { skipped: 'not a policy violation' }
  if (input.invokerOrg == null) return { skipped: 'invoker org unknown' }
  if (input.invokerOrg === input.selfOrg) return { skipped: 'self-evidence' }
  return { record: { receiptCid: c.inv, executorOrg: input.selfOrg, subjectAgent: c.invoker, subjectOrg: input.invokerOrg, outcome: 'denied', policyViolation: true, at: input.now } }
}

/** Timeout evidence for a task this node sent that got no answer. */
export function timeoutEvidence (task: { id: string, executor: string, peerOrg: string, at: number, durationMs: number }, selfOrg: string): EvidenceRecord | undefined {
  if (task.peerOrg === selfOrg) return undefined
  if (!(task.durationMs >= MIN_BLAMED_TIMEOUT_MS)) return undefined
  return { receiptCid: task.id, executorOrg: selfOrg, subjectAgent: task.executor, subjectOrg: task.peerOrg, outcome: 'timeout', at: task.at + task.durationMs }
}

/** Evidence against the org that sent this node an invalid (forged or self-issued) attestation. */
export function misbehaviourEvidence (recordId: string, fromOrg: string, selfOrg: string, now: number): EvidenceRecord | undefined {
  if (fromOrg === selfOrg) return undefined
  return { receiptCid: `attestation:${recordId}`, executorOrg: selfOrg, subjectAgent: fromOrg, subjectOrg: fromOrg, outcome: 'denied', policyViolation: true, at: now }
}
