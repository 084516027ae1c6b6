/** `trustmesh peer list`: enrolled partner orgs with their connection state. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'

export interface PeerView {
  orgDid: string, name?: string, addrs: string[], maxRing: number, preTrusted: boolean, connected: boolean
  nodes: Array<{ peerId: string, orgName: string, since: string, spiffeVerified: boolean, spiffeId?: string }>
  spiffe?: { spiffeId: string }
}

export function peerLine (p: PeerView): string {
  return `${p.name ?? p.nodes[0]?.orgName ?? '-'} ${p.orgDid} (max ring ${p.maxRing}${p.preTrusted ? ', pre-trusted' : ''})`
}

export function register (peer: Command): void {
  peer.command('list')
    .description('list enrolled partner organisations and whether their nodes are connected')
    .action(async (_o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const peers = await call<PeerView[]>(dataDir, 'GET', '/v1/peers')
      out.result(peers, () => peers.length === 0
        ? 'no partner organisations enrolled (trustmesh peer add <org-did> --addr <multiaddr>)'
        : out.table(['name', 'org DID', 'state', 'PeerId', 'max ring', 'pre-trusted', 'SPIFFE'], peers.map(p => [
          p.name ?? p.nodes[0]?.orgName, p.orgDid, p.connected ? 'connected' : 'not connected', p.nodes[0]?.peerId, p.maxRing, p.preTrusted,
          p.spiffe == null ? '-' : p.nodes.some(n => n.spiffeVerified) ? `verified ${p.spiffe.spiffeId}` : `required ${p.spiffe.spiffeId}`
        ])))
    })
}
