/**
 * Control API routes for human approvals: list and show parked tasks, approve or deny one (the node
 * signs the approval with an approver key enrolled for the org, or takes an approval JWT signed
 * elsewhere), and, on the requesting side, the status of a task that came back `pending`.
 */
import { ControlRouteError } from '../errors.js'
import type { Components } from '../../components.js'
import { ApprovalInputError, issueApproval, type ApprovalDecision } from '../../../authz/index.js'
import { ApprovalError, type ApprovalQueue, type ApprovalState, type ParkedRecord } from '../../services/approvals/approval-queue.js'
import { TaskStatusError, type TaskStatusService } from '../../services/approvals/task-status.js'

const STATES = new Set(['pending', 'approved', 'denied', 'expired'])
/** An approval issued here is valid this long (it is used at once). */
const APPROVAL_TTL_S = 300

export function approvalView (r: ParkedRecord): Record<string, unknown> {
  return {
    id: r.id,
    state: r.state,
    task: r.task.taskId,
    ability: r.task.ability,
    resource: r.task.resource,
    invoker: r.task.invoker,
    invokerOrg: r.task.invokerOrg,
    executor: r.task.executor,
    args: r.task.args,
    reason: r.task.reason,
    parkedAt: new Date(r.parkedAt).toISOString(),
    deadline: new Date(r.deadline).toISOString(),
    ...(r.decidedAt != null ? { decidedAt: new Date(r.decidedAt).toISOString() } : {}),
    ...(r.decidedBy != null ? { decidedBy: r.decidedBy } : {}),
    ...(r.result != null ? { outcome: r.result.outcome, code: r.result.code, resultReason: r.result.reason, ...(r.result.output !== undefined ? { output: r.result.output } : {}) } : {})
  }
}

export function approvalRoutes (ctx: Pick<Components, 'control' | 'orgSigner' | 'clock'>, queue: ApprovalQueue, status: TaskStatusService): void {
  ctx.control.route('GET', '/v1/approvals', async (req) => {
    const state = req.query.state
    if (state != null && state !== 'all' && !STATES.has(state)) throw new ControlRouteError('BAD_REQUEST', 'state must be pending, approved, denied, expired or all', 400)
    return queue.list(state == null || state === 'all' ? undefined : state as ApprovalState).map(approvalView)
  })

  ctx.control.route('GET', '/v1/approvals/:id', async (req) => {
    const r = queue.get(req.params.id) ?? queue.byTask(req.params.id)
    if (r == null) throw new ControlRouteError('UNKNOWN_APPROVAL', `no parked task ${req.params.id}`, 404)
    return approvalView(r)
  })

  const decide = (decision: ApprovalDecision) => async (req: { params: Readonly<Record<string, string>>, body: unknown }): Promise<unknown> => {
    const rec = queue.get(req.params.id)
    if (rec == null) throw new ControlRouteError('UNKNOWN_APPROVAL', `no parked task ${req.params.id}`, 404)
    const b = (req.body ?? {}) as { token?: unknown }
    let jwt: string
    if (typeof b.token === 'string') {
      jwt = b.token
    } else {
      try {
        // the org key is the org's default approver
        jwt = await issueApproval(ctx.orgSigner, { taskId: rec.task.taskId, decision, ttlSeconds: APPROVAL_TTL_S }, ctx.clock)
      } catch (err) {
        if (err instanceof ApprovalInputError) throw new ControlRouteError(err.code, err.message, 400)
        throw err
      }
    }
    try {
      return approvalView(await queue.decide(rec.id, jwt))
    } catch (err) {
      if (err instanceof ApprovalError) throw new ControlRouteError(err.code, err.message, httpStatusOf(err.code))
      throw err
    }
  }
  ctx.control.route('POST', '/v1/approvals/:id/approve', decide('approve'))
  ctx.control.route('POST', '/v1/approvals/:id/deny', decide('deny'))

  ctx.control.route('GET', '/v1/task-status/:id', async (req) => {
    try {
      return await status.status(req.params.id)
    } catch (err) {
      if (err instanceof TaskStatusError) throw new ControlRouteError(err.code, err.message, httpStatusOf(err.code))
      throw err
    }
  })
}

/** HTTP statuses belong to the API: the domain errors carry only their codes. */
const NOT_FOUND = new Set(['UNKNOWN_APPROVAL', 'UNKNOWN_TASK'])
const CONFLICT = new Set(['APPROVAL_ALREADY_DECIDED', 'APPROVAL_IN_PROGRESS', 'APPROVAL_REUSED'])
const UPSTREAM = new Set(['PEER_UNREACHABLE', 'BAD_RECEIPT'])
function httpStatusOf (code: string): number {
  if (NOT_FOUND.has(code)) return 404
  if (CONFLICT.has(code)) return 409
  if (UPSTREAM.has(code)) return 502
  return 403
}
