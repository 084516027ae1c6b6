/**
 * `trustmesh identity export FILE`: write this organisation's public identity (org DID, name,
 * NodeCredential, addresses, successor records) for a partner's `peer add --from-file`. Addresses
 * come from the running node (its LAN listen addresses) and `--addr`; nothing secret is written.
 */
import type { Command } from 'commander'
import { decodeJwt } from '../../../identity/jwt.js'
import { rename, writeFile } from 'node:fs/promises'
import { contextOf, collect } from '../../context.js'
import { fields, UsageError } from '../../output.js'
import { nodeClient } from '../../node-client.js'
import { dataDirLayout } from '../../../node/data-dir.js'
import { readIdentityFile } from '../../../node/identity-file.js'
import { buildIdentityExport } from '../../../node/identity-export.js'
import { parseLanMultiaddr } from '../../../node/libp2p/lan-only.js'
import { systemClock } from '../../../identity/clock.js'
import { readRegularFile } from '../../../identity/regular-file.js'

/** Addresses a partner can dial: not the wildcard, not loopback unless it is all there is. */
function dialable (addrs: string[]): string[] {
  const lan = addrs.filter(a => !/^\/ip[46]\/(0\.0\.0\.0|::)\//.test(a))
  const remote = lan.filter(a => !/^\/ip4\/127\.|^\/ip6\/::1\//.test(a))
  return remote.length > 0 ? remote : lan
}

export function register (identity: Command): void {
  identity.command('export <file>')
    .description('write this organisation\'s public identity file (for a partner\'s `peer add --from-file`)')
    .option('--addr <multiaddr>', 'address partners should dial, repeatable (default: the running node\'s LAN addresses)', collect, [])
    .action(async (file: string, opts: { addr: string[] }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const layout = dataDirLayout(dataDir)
      const id = await readIdentityFile(layout.identity, dataDir)
      for (const a of opts.addr) parseLanMultiaddr(a, '--addr')
      let listen: string[] = []
      let successors: string[] = []
      try {
        const client = nodeClient(dataDir, 5_000)
        listen = dialable((await client.request<{ listen: string[] }>('GET', '/v1/status')).listen)
        successors = (await client.request<{ successors: string[] }>('GET', '/v1/identity/successors')).successors
      } catch (err) {
        if ((err as { code?: string }).code !== 'NODE_NOT_RUNNING') throw err
        if (opts.addr.length === 0) out.note('note: the node is not running, so the file lists no addresses; pass --addr or start the node first')
      }
      const nodeCredential = (await readRegularFile(layout.nodeCredential).catch(() => { throw new UsageError(`no NodeCredential at ${layout.nodeCredential}: start the node once`) })).trim()
      // after `identity rotate --node-key` and before the restart, identity.json names the new PeerId while
      // the NodeCredential is still the old one's: a file partners could not use
      const sub = decodeJwt(nodeCredential)
      if (sub.ok && sub.value.payload.sub !== id.peerId) throw new UsageError(`a node key rotation is waiting for the node's restart (the NodeCredential is for ${String(sub.value.payload.sub)}, identity.json names ${id.peerId}): restart the node, then export`)
      const body = buildIdentityExport(id, nodeCredential, [...opts.addr, ...listen], successors, systemClock)
      const tmp = `${file}.${process.pid}.tmp`
      await writeFile(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o644 })
      await rename(tmp, file)
      out.result({ file, ...body }, () => fields([
        ['written', file],
        ['org', `${body.orgName} (${body.orgDid})`],
        ['addresses', body.addrs.length > 0 ? body.addrs.join(', ') : '(none)'],
        ['successor records', String(body.successors.length)]
      ]))
    })
}
