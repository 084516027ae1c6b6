/**
 * The agent API's task hand-off routes: `POST /v1/agent/poll` and `POST /v1/agent/tasks/:id/result`,
 * for the authenticated agent only. The dispatcher (node/services/tasks/task-dispatcher.ts) decides
 * and refuses with stable codes; the HTTP status of each code is chosen here, in the API layer.
 */
import type { ControlRequest, ControlServer } from '../control-server.js'
import { ControlRouteError } from '../errors.js'
import { DispatchRequestError, type TaskDispatcher } from '../../services/tasks/task-dispatcher.js'
import { AGENT_POLL_PATH, AGENT_RESULT_PATH } from '../../services/tasks/task-types.js'

const STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  WRONG_AGENT: 403,
  TASK_NOT_FOUND: 404,
  TASK_ALREADY_FINISHED: 409,
  TASK_NOT_DELIVERED: 409,
  OUTPUT_TOO_LARGE: 413,
  TOO_MANY_POLLS: 429,
  DISPATCHER_STOPPED: 503
}

async function mapped<T> (fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof DispatchRequestError) throw new ControlRouteError(err.code, err.message, STATUS[err.code] ?? 400)
    throw err
  }
}

export function registerTaskRoutes (server: ControlServer, dispatcher: Pick<TaskDispatcher, 'poll' | 'result'>, callerOf: (req: ControlRequest) => string): void {
  server.route('POST', AGENT_POLL_PATH, async (req) => await mapped(async () => await dispatcher.poll(callerOf(req), req.body, req.signal)))
  server.route('POST', AGENT_RESULT_PATH, async (req) => await mapped(async () => await dispatcher.result(req.params.id ?? '', callerOf(req), req.body, req.signal)))
}
