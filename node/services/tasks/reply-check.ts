/**
 * The invoking node's check of a partner's answer to a task (DESIGN.md section 4, "receipt"): the
 * receipt must be signed by the node that answered, name this invocation, its executor (the agent the
 * task was sent to) and its invoker, come from the org the task was sent to, and agree with the reply. Anything else is `BAD_RECEIPT` and is not trust evidence.
 */
import { decodeDelegation } from '../../../identity/ucan/index.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { TaskReply } from '../../../protocols/task/messages.js'
import { verifyReceipt, type ReceiptClaims } from './receipt.js'

export interface ExpectedReply {
  /** Org DID of the node the task was sent to. */
  readonly targetOrg: string
  /** The org of the node that answered (the same org, or its new DID after a key rotation). */
  readonly answeringOrg?: string
  /** The invocation JWT that was sent. */
  readonly invocation: string
  /** did:key of the node that answered (from its PeerId), when known. */
  readonly node?: string
  /** One org under two DIDs (successor records); a receipt signed after a rotation names the new DID. */
  readonly sameOrg?: (a: string, b: string) => boolean
}

/**
 * The receipt in a task-status answer (the executing node asked again what became of a task): signed
 * by the node asked, naming this invocation, from the org the task was sent to (or that org under its
 * new DID after a key rotation), and agreeing with the answer. Else `BAD_RECEIPT`.
 */
export function checkStatusReceipt (answer: { outcome?: string, code?: string, receipt?: string }, expected: { taskId: string, targetOrg: string, node?: string, sameOrg?: (a: string, b: string) => boolean }): Result<ReceiptClaims> {
  const r = verifyReceipt(answer.receipt, { expectedInvocation: expected.taskId, ...(expected.node != null ? { expectedNode: expected.node } : {}) })
  if (!r.ok) return fail('BAD_RECEIPT', r.error.message)
  const fromTarget = r.value.org === expected.targetOrg || expected.sameOrg?.(r.value.org, expected.targetOrg) === true
  if (!fromTarget || r.value.outcome !== answer.outcome || r.value.code !== answer.code) return fail('BAD_RECEIPT', 'the receipt does not match the answer')
  return ok(r.value)
}

/** Check a remote reply's receipt; the error code is `NO_RECEIPT` or `BAD_RECEIPT`. */
export function checkRemoteReply (reply: TaskReply, expected: ExpectedReply): Result<ReceiptClaims> {
  if (reply.receipt == null) return fail('NO_RECEIPT', 'the target node answered without a receipt')
  const inv = decodeDelegation(expected.invocation)
  const r = verifyReceipt(reply.receipt, { expectedInvocation: inv.ok ? inv.value.cid : '', ...(expected.node != null ? { expectedNode: expected.node } : {}) })
  if (!r.ok) return fail('BAD_RECEIPT', r.error.message)
  const org = r.value.org
  const fromTarget = org === expected.targetOrg || org === expected.answeringOrg || expected.sameOrg?.(org, expected.targetOrg) === true
  if (!fromTarget || r.value.outcome !== reply.outcome || r.value.code !== reply.code) return fail('BAD_RECEIPT', 'the receipt does not match the reply')
  // the executing org must not pin the evidence on anyone but the agents of this task
  if (!inv.ok) return fail('BAD_RECEIPT', `the invocation sent does not decode: ${inv.error.message}`)
  if (r.value.executor !== inv.value.audience) return fail('BAD_RECEIPT', `the receipt names executor ${r.value.executor}, but the task was sent to ${inv.value.audience}`)
  if (r.value.invoker !== inv.value.issuer) return fail('BAD_RECEIPT', `the receipt names invoker ${r.value.invoker}, but the task was sent by ${inv.value.issuer}`)
  return ok(r.value)
}
