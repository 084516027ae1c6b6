/** `trustmesh peer remove <org-did>`: un-enrol a partner; its nodes are disconnected at once and refused. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'

export function register (peer: Command): void {
  peer.command('remove <org-did>')
    .description('remove a partner organisation: disconnect its nodes now and refuse them from then on')
    .action(async (orgDid: string, _o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const r = await call<{ orgDid: string, disconnectedNodes: number }>(dataDir, 'DELETE', `/v1/peers/${encodeURIComponent(orgDid)}`)
      out.result(r, () => `removed ${r.orgDid}; disconnected ${r.disconnectedNodes} node(s)`)
    })
}
