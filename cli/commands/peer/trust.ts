/** `trustmesh peer trust <org-did>`: mark a partner as pre-trusted for EigenTrust (`--remove` to unmark). */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'
import { peerLine, type PeerView } from './list.js'

export function register (peer: Command): void {
  peer.command('trust <org-did>')
    .description('mark an enrolled partner as pre-trusted (the seed set of personalised EigenTrust)')
    .option('--remove', 'unmark it')
    .action(async (orgDid: string, opts: { remove?: boolean }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const v = await call<PeerView>(dataDir, 'POST', `/v1/peers/${encodeURIComponent(orgDid)}/trust`, { preTrusted: opts.remove !== true })
      out.result(v, () => peerLine(v))
    })
}
