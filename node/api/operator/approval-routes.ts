/**
 * Control API routes for human approvals: list and show parked tasks, approve or deny one with an
 * approval JWT signed by a named approver's own key (the CLI signs it with `--key FILE`, the web
 * console in the browser; the node holds no approver key and the org key approves nothing by
 * default), and, on the requesting side, the status of a task that came back `pending`.
 */
import { ControlRouteError } from '../errors.js'
import type { Components } from '../../components.js'
import type { ApprovalDecision } from '../../../authz/index.js'
import { ApprovalError, type ApprovalQueue, type ApprovalState, type ParkedRecord } from '../../services/approvals/approval-queue.js'
import { TaskStatusError, type TaskStatusService } from '../../services/approvals/task-status.js'

const STATES = new Set(['pending', 'approved', 'denied', 'expired'])
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
    required: r.task.approvals ?? { count: 1 },
    ...(r.task.ring != null ? { ring: r.task.ring } : {}),
    ...(r.task.chain != null ? { chain: r.task.chain } : {}),
    approvals: (r.approvals ?? []).map(a => ({ approver: a.approver, name: a.name, role: a.role, decision: a.decision, reason: a.reason, at: new Date(a.at).toISOString() })),
    ...(r.result != null ? { outcome: r.result.outcome, code: r.result.code, resultReason: r.result.reason, ...(r.result.output !== undefined ? { output: r.result.output } : {}) } : {})
  }
}

export function approvalRoutes (ctx: Pick<Components, 'control'>, queue: ApprovalQueue, status: TaskStatusService): void {
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
    if (typeof b.token !== 'string' || b.token === '') {
      throw new ControlRouteError('APPROVAL_TOKEN_REQUIRED', `an approval signed by a named approver's own key is required (trustmesh approval ${decision} ID --key FILE --reason TEXT, or the web console)`, 400)
    }
    const jwt = b.token
    if (decodeDecision(jwt) !== decision) throw new ControlRouteError('APPROVAL_MALFORMED', `the signed approval does not say ${decision}`, 400)
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

/** The decision a token claims, read before verification only to match the route (the queue verifies). */
function decodeDecision (jwt: string): unknown {
  try {
    return (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { decision?: unknown }).decision
  } catch {
    return undefined
  }
}

/** HTTP statuses belong to the API: the domain errors carry only their codes. */
const NOT_FOUND = new Set(['UNKNOWN_APPROVAL', 'UNKNOWN_TASK'])
const CONFLICT = new Set(['APPROVAL_ALREADY_DECIDED', 'APPROVAL_IN_PROGRESS', 'APPROVAL_REUSED', 'APPROVER_ALREADY_DECIDED'])
const UPSTREAM = new Set(['PEER_UNREACHABLE', 'BAD_RECEIPT'])
export function httpStatusOf (code: string): number {
  if (NOT_FOUND.has(code)) return 404
  if (CONFLICT.has(code)) return 409
  if (UPSTREAM.has(code)) return 502
  if (code === 'APPROVAL_MALFORMED') return 400
  return 403
}
