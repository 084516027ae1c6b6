/** `trustmesh task status <id>`: a sent task's outcome; for a `pending` one, asks the executing node. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { EXIT_FAILED, fields } from '../../output.js'
import { call } from '../../node-client.js'

interface Status { id: string, outcome: string, code: string, reason?: string, approvalId?: string, output?: unknown, receipt?: string, deadline?: number }

export function register (task: Command): void {
  task.command('status <id>')
    .description('the outcome of a task this node sent (a pending one is looked up at the executing node)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const r = await call<Status>(dataDir, 'GET', `/v1/task-status/${encodeURIComponent(id)}`)
      out.result(r, () => fields([
        ['task', r.id], ['outcome', r.outcome], ['code', r.code], ...(r.reason != null && r.outcome !== 'ok' ? [['reason', r.reason]] as Array<[string, unknown]> : []),
        ...(r.approvalId != null ? [['approval', r.approvalId]] as Array<[string, unknown]> : []),
        ...(r.deadline != null ? [['deadline', new Date(r.deadline).toISOString()]] as Array<[string, unknown]> : []),
        ...(r.output !== undefined ? [['output', r.output]] as Array<[string, unknown]> : []),
        ['receipt', r.receipt ?? '-']
      ]))
      if (r.outcome === 'denied' || r.outcome === 'error') process.exitCode = EXIT_FAILED
    })
}
