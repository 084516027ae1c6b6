/** `trustmesh approval show <id>`: one parked task, its reason, deadline and outcome. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { fields } from '../../output.js'
import { call } from '../../node-client.js'

export function register (approval: Command): void {
  approval.command('show <id>')
    .description('show a parked task (by approval id or task id)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const r = await call<Record<string, unknown>>(dataDir, 'GET', `/v1/approvals/${encodeURIComponent(id)}`)
      out.result(r, () => fields(Object.entries(r)))
    })
}
