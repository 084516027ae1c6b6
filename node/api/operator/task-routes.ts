/** Operator routes for tasks: list what was sent and run here (agents send on the agent API, signing their invocations). */
import type { Components } from '../../components.js'
import type { TasksService } from '../../services/tasks/tasks-service.js'

export function taskRoutes (ctx: Pick<Components, 'control'>, s: Pick<TasksService, 'tasks'>): void {
  ctx.control.route('GET', '/v1/tasks', async (req) => {
    const limit = Math.min(Number(req.query.limit ?? 200) || 200, 1000)
    return await s.tasks.list(limit)
  })
}
