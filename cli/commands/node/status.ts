/** `trustmesh node status`: identity, listen addresses, connected peers and uptime of the running node. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { fields } from '../../output.js'
import { call } from '../../node-client.js'

interface Status {
  orgName: string, orgDid: string, peerId: string, software: string, listen: string[], policyDigest: string, uptimeSeconds: number, startedAt: string
  connectedPeers: Array<{ peerId: string, orgDid: string, orgName: string, since: string, spiffeId?: string }>
  spiffe?: { spiffeId?: string, svidExpiresAt?: string, state?: string }
}

export function register (node: Command): void {
  node.command('status')
    .description('show the running node\'s identity, addresses, connected peers and uptime')
    .action(async (_o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const s = await call<Status>(dataDir, 'GET', '/v1/status')
      out.result(s, () => [
        fields([
          ['org', `${s.orgName} (${s.orgDid})`],
          ['PeerId', s.peerId],
          ['software', s.software],
          ['listening', s.listen.join(', ')],
          ['policy', s.policyDigest],
          ['uptime', `${s.uptimeSeconds}s (since ${s.startedAt})`],
          ...(s.spiffe != null ? [['SPIFFE ID', s.spiffe.spiffeId ?? `none (${s.spiffe.state ?? 'unavailable'})`], ['SVID expires', s.spiffe.svidExpiresAt]] as Array<[string, unknown]> : [])
        ]),
        '',
        s.connectedPeers.length === 0 ? 'no connected peers' : out.table(['org', 'org DID', 'PeerId', 'since'], s.connectedPeers.map(p => [p.orgName, p.orgDid, p.peerId, p.since]))
      ].join('\n'))
    })
}
