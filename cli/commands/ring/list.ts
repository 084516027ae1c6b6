/** `trustmesh ring list`: elevations in force now. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'

interface Row { agent: string, from?: number, ring: number, expiresAt: string, reason: string }

export function register (ring: Command): void {
  ring.command('list')
    .description('list ring elevations in force')
    .action(async (_opts: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const rows = await call<Row[]>(dataDir, 'GET', '/v1/rings/elevations')
      out.result(rows, () => rows.length === 0 ? 'no elevations in force' : out.table(['agent', 'ring', 'until', 'reason'], rows.map(r => [r.agent, `${String(r.from)} -> ${r.ring}`, r.expiresAt, r.reason])))
    })
}
