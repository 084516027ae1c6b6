/** `trustmesh task list`: tasks this node sent or ran, newest first. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'

interface Row { id: string, direction: string, ability: string, resource: string, outcome: string, code: string, at: number, durationMs: number }

export function register (task: Command): void {
  task.command('list')
    .description('list tasks sent and received, newest first')
    .option('--limit <n>', 'how many', '50')
    .action(async (opts: { limit: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const rows = await call<Row[]>(dataDir, 'GET', `/v1/tasks?limit=${encodeURIComponent(opts.limit)}`)
      out.result(rows, () => rows.length === 0 ? 'no tasks' : out.table(['time', 'dir', 'ability', 'resource', 'outcome', 'code', 'ms', 'id'], rows.map(r => [new Date(r.at).toISOString(), r.direction, r.ability, r.resource, r.outcome, r.code, r.durationMs, r.id])))
    })
}
