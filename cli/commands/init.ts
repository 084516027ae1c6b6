/** `trustmesh init`: create the organisation's keys, NodeCredential, swarm key and default policy. */
import type { Command } from 'commander'
import { readRegularFile } from '../../identity/regular-file.js'
import { contextOf } from '../context.js'
import { fields, UsageError } from '../output.js'
import { initOrganisation } from '../../node/init-org.js'
import { systemClock } from '../../identity/clock.js'
import { parseSwarmKey } from '../../node/libp2p/swarm-key.js'

export function register (program: Command): void {
  program.command('init')
    .description('initialise an organisation in the data directory (never overwrites)')
    .option('--org-name <name>', 'organisation name', 'my-org')
    .option('--passphrase <passphrase>', 'passphrase for the key store (default: TRUSTMESH_PASSPHRASE, else a generated 0600 passphrase file)')
    .option('--swarm-key <file>', 'join an existing mesh: use this swarm key file instead of generating one')
    .action(async (opts: { orgName: string, passphrase?: string, swarmKey?: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      let swarmKey: string | undefined
      if (opts.swarmKey != null) {
        try {
          swarmKey = await readRegularFile(opts.swarmKey)
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code
          throw new UsageError(`--swarm-key: cannot read ${opts.swarmKey}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`)
        }
        parseSwarmKey(swarmKey, opts.swarmKey)
      }
      const r = await initOrganisation({ dataDir, orgName: opts.orgName, passphrase: opts.passphrase, clock: systemClock, swarmKey })
      if (r.created && r.generatedPassphrase) out.note(`note: keys are protected by a generated passphrase in ${r.layout.passphrase} (mode 0600); set TRUSTMESH_PASSPHRASE before init to choose your own`)
      if (!r.created) out.note(`${r.layout.root} is already initialised; nothing was changed`)
      out.result({ created: r.created, dataDir: r.layout.root, ...r.identity }, () => fields([
        ['status', r.created ? 'initialised' : 'already initialised'],
        ['data dir', r.layout.root],
        ['org name', r.identity.orgName],
        ['org DID', r.identity.orgDid],
        ['node PeerId', r.identity.peerId],
        ['swarm key', r.layout.swarmKey + ' (share out of band with partner orgs)'],
        ['policy', r.layout.policy]
      ]))
    })
}
