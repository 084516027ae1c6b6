/**
 * `GET /v1/agent/tasks/:id` on the agent API: the calling agent's view of a task it sent. A task held
 * for approval at the executing org answers `pending` at first; this route asks that node again (its
 * answer is checked against its receipt), so an agent, or an edge such as the A2A bridge, learns the
 * outcome once an approver decides. Another agent's task is UNKNOWN_TASK, as one never sent.
 */
import type { ControlServer } from '../control-server.js'
import { ControlRouteError } from '../errors.js'
import { TaskStatusError, type TaskStatusService } from '../../services/approvals/task-status.js'
import { httpStatusOf } from '../operator/approval-routes.js'
import { callerOf } from './agent-auth.js'

export function agentTaskStatusRoute (server: ControlServer, status: Pick<TaskStatusService, 'status'>): void {
  server.route('GET', '/v1/agent/tasks/:id', async (req) => {
    try {
      const r = await status.status(req.params.id, { signal: req.signal, invoker: callerOf(req) })
      return {
        id: r.id, targetOrg: r.peerOrg, outcome: r.outcome, code: r.code,
        ...(r.reason != null ? { reason: r.reason } : {}),
        ...(r.output !== undefined ? { output: r.output } : {}),
        ...(r.receipt != null ? { receipt: r.receipt } : {}),
        ...(r.approvalId != null ? { approvalId: r.approvalId } : {}),
        ...(r.deadline != null ? { deadline: r.deadline } : {})
      }
    } catch (err) {
      if (err instanceof TaskStatusError) throw new ControlRouteError(err.code, err.message, httpStatusOf(err.code))
      throw err
    }
  })
}
