/** `trustmesh delegation revoke <cid>`: sign a revocation and gossip it to the mesh. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'

export function register (delegation: Command): void {
  delegation.command('revoke <cid>')
    .description('revoke a delegation (signed by an issuer in its chain held here, or the org); irreversible')
    .option('--reason <text>', 'reason recorded in the revocation')
    .action(async (cid: string, opts: { reason?: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const r = await call<{ cid: string, issuer: string }>(dataDir, 'POST', `/v1/delegations/${encodeURIComponent(cid)}/revoke`, { reason: opts.reason })
      out.result(r, () => `revoked ${r.cid} (signed by ${r.issuer}); gossiped to the mesh`)
    })
}
