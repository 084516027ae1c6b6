/**
 * Human approvals for `require_approval` decisions. An approval is a JWT of its own `typ`, signed by an
 * approver key enrolled for the org: `{ iss: approver DID, sub: task id, decision, iat, exp, jti }`.
 * Verification is pure; the node records which approvals were used and passes that view in, so one
 * approval decides one task once. No decision by the task's deadline is a DENY.
 */
import { randomBytes } from 'node:crypto'
import { decodeJwt, signJwt, verifyJwtSignature } from '../identity/jwt.js'
import { fail, ok, type Result } from '../identity/result.js'
import type { Signer } from '../identity/signer.js'
import { nowSeconds, type Clock } from '../identity/clock.js'

export const APPROVAL_TYP = 'trustmesh-approval+jwt'
export const MAX_APPROVAL_TTL_SECONDS = 7 * 24 * 60 * 60
export const APPROVAL_CLOCK_SKEW_SECONDS = 60
/** The approver's justification, signed with the decision (and recorded in the audit log). */
export const MAX_APPROVAL_REASON = 1000

export const ApprovalCode = {
  APPROVAL_MALFORMED: 'APPROVAL_MALFORMED',
  APPROVER_NOT_ENROLLED: 'APPROVER_NOT_ENROLLED',
  APPROVAL_WRONG_TASK: 'APPROVAL_WRONG_TASK',
  APPROVAL_EXPIRED: 'APPROVAL_EXPIRED',
  APPROVAL_NOT_YET_VALID: 'APPROVAL_NOT_YET_VALID',
  APPROVAL_REUSED: 'APPROVAL_REUSED',
  APPROVAL_TIMEOUT: 'APPROVAL_TIMEOUT',
  APPROVAL_DENIED: 'APPROVAL_DENIED',
  APPROVAL_GRANTED: 'APPROVAL_GRANTED',
  APPROVAL_PENDING: 'APPROVAL_PENDING'
} as const

export type ApprovalDecision = 'approve' | 'deny'

export interface Approval {
  readonly iss: string
  readonly sub: string
  readonly decision: ApprovalDecision
  readonly iat: number
  readonly exp: number
  readonly jti: string
  /** The approver's justification. */
  readonly reason?: string
}

export interface ApprovalRequest {
  readonly taskId: string
  readonly decision: ApprovalDecision
  readonly ttlSeconds: number
  readonly reason?: string
}

export class ApprovalInputError extends Error {
  override readonly name = 'ApprovalInputError'
  readonly code = ApprovalCode.APPROVAL_MALFORMED
}

export async function issueApproval (approver: Signer, request: ApprovalRequest, clock: Clock): Promise<string> {
  if (typeof request.taskId !== 'string' || request.taskId.length === 0 || request.taskId.length > 256) throw new ApprovalInputError('taskId must be 1..256 characters')
  if (request.decision !== 'approve' && request.decision !== 'deny') throw new ApprovalInputError(`decision must be approve or deny, got ${String(request.decision)}`)
  if (!Number.isInteger(request.ttlSeconds) || request.ttlSeconds <= 0 || request.ttlSeconds > MAX_APPROVAL_TTL_SECONDS) throw new ApprovalInputError(`ttlSeconds must be 1..${MAX_APPROVAL_TTL_SECONDS}`)
  if (request.reason != null && (typeof request.reason !== 'string' || request.reason.length > MAX_APPROVAL_REASON)) throw new ApprovalInputError(`reason must be a string of at most ${MAX_APPROVAL_REASON} characters`)
  const iat = nowSeconds(clock)
  const payload: Approval = { iss: approver.did, sub: request.taskId, decision: request.decision, iat, exp: iat + request.ttlSeconds, jti: randomBytes(16).toString('base64url'), ...(request.reason != null ? { reason: request.reason } : {}) }
  return await signJwt({ ...payload }, approver, { typ: APPROVAL_TYP })
}

export interface VerifyApprovalOptions {
  readonly taskId: string
  /** DIDs of the approver keys enrolled for the org. */
  readonly approvers: readonly string[]
  readonly clock: Clock
}

export function verifyApproval (jwt: string, options: VerifyApprovalOptions): Result<Approval> {
  const decoded = decodeJwt(jwt)
  if (!decoded.ok) return decoded
  if (decoded.value.header.typ !== APPROVAL_TYP) return fail(ApprovalCode.APPROVAL_MALFORMED, `typ ${JSON.stringify(decoded.value.header.typ)} is not ${APPROVAL_TYP}`)
  const { iss, sub, decision, iat, exp, jti, reason } = decoded.value.payload
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_APPROVAL_REASON)) return fail(ApprovalCode.APPROVAL_MALFORMED, `reason must be a string of at most ${MAX_APPROVAL_REASON} characters`)
  if (typeof iss !== 'string' || typeof sub !== 'string' || typeof jti !== 'string' || jti.length === 0 ||
      (decision !== 'approve' && decision !== 'deny') || !Number.isInteger(iat) || !Number.isInteger(exp) || (exp as number) <= (iat as number)) {
    return fail(ApprovalCode.APPROVAL_MALFORMED, 'approval needs string iss, sub, jti, decision approve|deny and integer iat < exp')
  }
  // enrolment first: no signature work for keys we would never accept
  if (!options.approvers.includes(iss)) return fail(ApprovalCode.APPROVER_NOT_ENROLLED, `${iss} is not an enrolled approver`)
  const sig = verifyJwtSignature(decoded.value, iss)
  if (!sig.ok) return sig
  if (sub !== options.taskId) return fail(ApprovalCode.APPROVAL_WRONG_TASK, `approval is for task ${sub}, not ${options.taskId}`)
  const now = nowSeconds(options.clock)
  const i = iat as number
  const e = exp as number
  if (e - i > MAX_APPROVAL_TTL_SECONDS) return fail(ApprovalCode.APPROVAL_MALFORMED, `approval lifetime ${e - i}s exceeds ${MAX_APPROVAL_TTL_SECONDS}s`)
  if (i > now + APPROVAL_CLOCK_SKEW_SECONDS) return fail(ApprovalCode.APPROVAL_NOT_YET_VALID, `approval issued at ${i}, in the future (now ${now})`)
  if (now >= e + APPROVAL_CLOCK_SKEW_SECONDS) return fail(ApprovalCode.APPROVAL_EXPIRED, `approval expired at ${e} (now ${now})`)
  return ok({ iss, sub, decision, iat: i, exp: e, jti, ...(typeof reason === 'string' ? { reason } : {}) })
}

export interface PendingTask {
  readonly taskId: string
  /** Milliseconds since the epoch at and after which no approval counts. */
  readonly deadline: number
}

export interface PendingOutcome {
  readonly effect: 'allow' | 'deny' | 'require_approval'
  readonly code: string
  readonly reason: string
}

/**
 * Decide a parked task given a verified approval (or none yet), at `nowMs`. `used(jti)` tells whether
 * the node already consumed that approval; the caller records use after an allow.
 */
export function decidePending (task: PendingTask, approval: Approval | undefined, nowMs: number, used: (jti: string) => boolean = () => false): PendingOutcome {
  const now = Math.floor(nowMs / 1000)
  if (approval == null) {
    if (nowMs >= task.deadline) return { effect: 'deny', code: ApprovalCode.APPROVAL_TIMEOUT, reason: `no decision on task ${task.taskId} by its deadline` }
    return { effect: 'require_approval', code: ApprovalCode.APPROVAL_PENDING, reason: `task ${task.taskId} waits for an approval` }
  }
  if (approval.sub !== task.taskId) return { effect: 'deny', code: ApprovalCode.APPROVAL_WRONG_TASK, reason: `approval is for task ${approval.sub}, not ${task.taskId}` }
  if (used(approval.jti)) return { effect: 'deny', code: ApprovalCode.APPROVAL_REUSED, reason: `approval ${approval.jti} was already used` }
  // in milliseconds: a seconds-floored comparison let an approval in the deadline's own second through
  if (nowMs >= task.deadline) return { effect: 'deny', code: ApprovalCode.APPROVAL_TIMEOUT, reason: `approval of task ${task.taskId} arrived at or after its deadline ${new Date(task.deadline).toISOString()}` }
  if (approval.iat * 1000 >= task.deadline) return { effect: 'deny', code: ApprovalCode.APPROVAL_TIMEOUT, reason: `approval of task ${task.taskId} was issued at or after its deadline` }
  if (now >= approval.exp) return { effect: 'deny', code: ApprovalCode.APPROVAL_EXPIRED, reason: `approval of task ${task.taskId} expired at ${approval.exp}` }
  if (approval.decision === 'deny') return { effect: 'deny', code: ApprovalCode.APPROVAL_DENIED, reason: `${approval.iss} denied task ${task.taskId}` }
  if (approval.decision !== 'approve') return { effect: 'deny', code: ApprovalCode.APPROVAL_DENIED, reason: 'approval carries no valid decision' }
  return { effect: 'allow', code: ApprovalCode.APPROVAL_GRANTED, reason: `${approval.iss} approved task ${task.taskId}` }
}
