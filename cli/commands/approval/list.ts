/** `trustmesh approval list`: tasks parked for a human decision (pending by default). */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'

interface Row { id: string, state: string, ability: string, resource: string, invoker: string, deadline: string, code?: string }

export function register (approval: Command): void {
  approval.command('list')
    .description('list parked tasks (default: pending)')
    .option('--state <state>', 'pending, approved, denied, expired or all', 'pending')
    .action(async (opts: { state: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const rows = await call<Row[]>(dataDir, 'GET', `/v1/approvals?state=${encodeURIComponent(opts.state)}`)
      out.result(rows, () => rows.length === 0 ? `no ${opts.state === 'all' ? '' : opts.state + ' '}approvals` : out.table(['id', 'state', 'ability', 'resource', 'invoker', 'deadline', 'code'], rows.map(r => [r.id, r.state, r.ability, r.resource, r.invoker, r.deadline, r.code])))
    })
}
