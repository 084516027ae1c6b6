/** `trustmesh approval approver remove NAME`: the approver's signatures no longer count. */
import type { Command } from 'commander'
import { contextOf } from '../../../context.js'
import { call } from '../../../node-client.js'

export function register (approver: Command): void {
  approver.command('remove <name>')
    .description('remove a named approver (by name or DID)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const a = await call<{ name: string, did: string }>(dataDir, 'DELETE', `/v1/approvers/${encodeURIComponent(name)}`)
      out.result(a, () => `removed approver ${a.name} (${a.did})`)
    })
}
