/** Control API routes for tasks: send one as a local agent, list what was sent and run here. */
import { ControlRouteError } from '../errors.js'
import type { Components } from '../../components.js'
import type { TasksService } from '../../services/tasks/tasks-service.js'

export function taskRoutes (ctx: Pick<Components, 'control'>, s: Pick<TasksService, 'sender' | 'tasks'>): void {
  ctx.control.route('POST', '/v1/tasks', async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    for (const k of ['as', 'to', 'ability', 'resource']) {
      if (typeof b[k] !== 'string' || b[k] === '') throw new ControlRouteError('BAD_REQUEST', `${k} is required`, 400)
    }
    const r = await s.sender.send({
        as: b.as as string,
        to: b.to as string,
        ability: b.ability as string,
        resource: b.resource as string,
        args: b.args,
        ...(typeof b.proof === 'string' ? { proof: b.proof } : {}),
        ...(typeof b.timeoutMs === 'number' ? { timeoutMs: b.timeoutMs } : {})
    })
    if (!r.ok) throw new ControlRouteError(r.error.code, r.error.message, 400)
    return r.value
  })

  ctx.control.route('GET', '/v1/tasks', async (req) => {
    const limit = Math.min(Number(req.query.limit ?? 200) || 200, 1000)
    return await s.tasks.list(limit)
  })
}
