/** `trustmesh peer add <org-did>`: enrol a partner organisation (or `--from-file` an identity export). */
import type { Command } from 'commander'
import { readRegularFile } from '../../../identity/regular-file.js'
import { contextOf, collect, intOption } from '../../context.js'
import { UsageError } from '../../output.js'
import { call } from '../../node-client.js'
import { peerLine, type PeerView } from './list.js'

interface AddOptions { addr: string[], name?: string, maxRing?: number, preTrusted?: boolean, fromFile?: string, spiffeBundle?: string, spiffeId?: string }

export function register (peer: Command): void {
  peer.command('add [org-did]')
    .description('enrol a partner organisation by its org DID (its nodes must then prove membership in hello)')
    .option('--addr <multiaddr>', 'address of the partner\'s node, repeatable', collect, [])
    .option('--name <name>', 'display name')
    .option('--max-ring <n>', 'most privileged ring its agents may act with here (1-3, default 3)', intOption('--max-ring', 1, 3))
    .option('--pre-trusted', 'count this partner in the pre-trusted set of EigenTrust')
    .option('--from-file <file>', 'read org DID, name and addresses from a file written by `identity export`')
    .option('--spiffe-bundle <file>', 'PEM trust bundle of the partner\'s SPIFFE trust domain')
    .option('--spiffe-id <id>', 'SPIFFE ID the partner\'s node must present')
    .action(async (orgDid: string | undefined, opts: AddOptions, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      let body: Record<string, unknown> = { orgDid, addrs: opts.addr, name: opts.name, maxRing: opts.maxRing, preTrusted: opts.preTrusted }
      if (opts.fromFile != null) {
        let file: { orgDid?: unknown, orgName?: unknown, addrs?: unknown }
        try {
          file = JSON.parse(await readRegularFile(opts.fromFile))
        } catch (err) {
          throw new UsageError(`cannot read identity file ${opts.fromFile}: ${(err as Error).message}`)
        }
        if (orgDid != null && orgDid !== file.orgDid) throw new UsageError(`${opts.fromFile} is for ${String(file.orgDid)}, not ${orgDid}`)
        body = { ...body, orgDid: file.orgDid, name: opts.name ?? file.orgName, addrs: [...opts.addr, ...(Array.isArray(file.addrs) ? file.addrs : [])] }
      }
      if (typeof body.orgDid !== 'string') throw new UsageError('peer add needs an <org-did> or --from-file')
      if ((opts.spiffeBundle == null) !== (opts.spiffeId == null)) throw new UsageError('--spiffe-bundle and --spiffe-id go together')
      if (opts.spiffeBundle != null) body.spiffe = { bundlePem: await readRegularFile(opts.spiffeBundle), spiffeId: opts.spiffeId }
      const v = await call<PeerView>(dataDir, 'POST', '/v1/peers', body)
      out.result(v, () => `enrolled ${peerLine(v)}`)
    })
}
