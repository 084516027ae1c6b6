/** `trustmesh delegation revoke <cid>`: sign a revocation and gossip it to the mesh. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { agentAs, call } from '../../node-client.js'

export function register (delegation: Command): void {
  delegation.command('revoke <cid>')
    .description('revoke a delegation, signed by the org key or (--as, --key) by the agent that issued it; irreversible')
    .option('--reason <text>', 'reason recorded in the revocation')
    .option('--as <agent>', 'revoke as this local agent (an issuer in the chain), signed with its key; default: the org key')
    .option('--key <file>', 'that agent\'s key file (default <data-dir>/agents/<agent>.key)')
    .action(async (cid: string, opts: { reason?: string, as?: string, key?: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      let r: { cid: string, issuer: string }
      if (opts.as != null || opts.key != null) {
        const agent = await agentAs(dataDir, opts.as ?? '', opts.key)
        r = await agent.revoke(cid, { ...(opts.reason != null ? { reason: opts.reason } : {}) })
        await agent.close()
      } else {
        r = await call<{ cid: string, issuer: string }>(dataDir, 'POST', `/v1/delegations/${encodeURIComponent(cid)}/revoke`, { reason: opts.reason })
      }
      out.result(r, () => `revoked ${r.cid} (signed by ${r.issuer}); gossiped to the mesh`)
    })
}
