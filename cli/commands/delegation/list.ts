/** `trustmesh delegation list`: delegations this node holds. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'

interface Row { cid: string, issuer: string, audience: string, expiresAt: string | null, capabilities: Array<{ resource: string, ability: string }>, revoked: boolean }

const short = (did: string): string => did.length > 24 ? `${did.slice(0, 14)}…${did.slice(-6)}` : did

export function register (delegation: Command): void {
  delegation.command('list')
    .description('list delegations held by this node')
    .action(async (_o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const rows = await call<Row[]>(dataDir, 'GET', '/v1/delegations')
      out.result(rows, () => rows.length === 0 ? 'no delegations' : out.table(['cid', 'from', 'to', 'capabilities', 'expires', 'revoked'], rows.map(r => [r.cid, short(r.issuer), short(r.audience), r.capabilities.map(c => `${c.ability} on ${c.resource}`).join('; '), r.expiresAt ?? 'never', r.revoked])))
    })
}
