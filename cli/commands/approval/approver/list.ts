/** `trustmesh approval approver list`: the named approvers, their DIDs and roles. */
import type { Command } from 'commander'
import { contextOf } from '../../../context.js'
import { call } from '../../../node-client.js'

export function register (approver: Command): void {
  approver.command('list')
    .description('list named approvers')
    .action(async (_o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const rows = await call<Array<{ name: string, did: string, role?: string, addedAt: number }>>(dataDir, 'GET', '/v1/approvers')
      out.result(rows, () => rows.length === 0 ? 'no approvers (trustmesh approval approver add NAME --did DID --role R)' : out.table(['name', 'role', 'DID', 'added'], rows.map(r => [r.name, r.role, r.did, new Date(r.addedAt).toISOString()])))
    })
}
