/**
 * `trustmesh init`: create the organisation's keys, NodeCredential, swarm key and default policy.
 * With --pkcs11-module, --token and --pin-file the org key is generated on (or taken by label from)
 * a PKCS#11 token and never exists outside it.
 */
import type { Command } from 'commander'
import { readRegularFile } from '../../identity/regular-file.js'
import { contextOf } from '../context.js'
import { fields, UsageError } from '../output.js'
import { initOrganisation, DEFAULT_TOKEN_KEY_LABEL, DEFAULT_TOKEN_NODE_KEY_LABEL, type Pkcs11InitOptions } from '../../node/init-org.js'
import { systemClock } from '../../identity/clock.js'
import { parseSwarmKey } from '../../node/libp2p/swarm-key.js'

export function register (program: Command): void {
  program.command('init')
    .description('initialise an organisation in the data directory (never overwrites)')
    .option('--org-name <name>', 'organisation name', 'my-org')
    .option('--passphrase <passphrase>', 'passphrase for the key store (default: TRUSTMESH_PASSPHRASE, else a generated 0600 passphrase file)')
    .option('--swarm-key <file>', 'join an existing mesh: use this swarm key file instead of generating one')
    .option('--pkcs11-module <path>', 'keep the org key on a PKCS#11 token: the module (e.g. /usr/lib/softhsm/libsofthsm2.so)')
    .option('--token <label>', 'label of the PKCS#11 token holding the org key')
    .option('--pin-file <file>', 'file holding the token\'s user PIN (read at every start)')
    .option('--key-label <label>', `label of the org key on the token (created if missing; default ${DEFAULT_TOKEN_KEY_LABEL})`)
    .option('--node-key-on-token', 'keep the node key (its PeerId) on the same token too')
    .option('--node-key-label <label>', `label of the node key on the token (created if missing; default ${DEFAULT_TOKEN_NODE_KEY_LABEL})`)
    .action(async (opts: { orgName: string, passphrase?: string, swarmKey?: string, pkcs11Module?: string, token?: string, pinFile?: string, keyLabel?: string, nodeKeyOnToken?: boolean, nodeKeyLabel?: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const tokenOpts = [opts.pkcs11Module, opts.token, opts.pinFile]
      if (tokenOpts.some(o => o != null) && tokenOpts.some(o => o == null)) throw new UsageError('--pkcs11-module, --token and --pin-file go together')
      if (opts.keyLabel != null && opts.pkcs11Module == null) throw new UsageError('--key-label needs --pkcs11-module, --token and --pin-file')
      if ((opts.nodeKeyOnToken === true || opts.nodeKeyLabel != null) && opts.pkcs11Module == null) throw new UsageError('--node-key-on-token needs --pkcs11-module, --token and --pin-file')
      if (opts.nodeKeyLabel != null && opts.nodeKeyOnToken !== true) throw new UsageError('--node-key-label needs --node-key-on-token')
      const nodeKey: { nodeKey?: boolean, nodeLabel?: string } = opts.nodeKeyOnToken === true ? { nodeKey: true, ...(opts.nodeKeyLabel != null ? { nodeLabel: opts.nodeKeyLabel } : {}) } : {}
      const pkcs11: Pkcs11InitOptions | undefined = opts.pkcs11Module != null ? { module: opts.pkcs11Module, token: opts.token as string, pinFile: opts.pinFile as string, ...(opts.keyLabel != null ? { label: opts.keyLabel } : {}), ...nodeKey } : undefined
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
      const r = await initOrganisation({ dataDir, orgName: opts.orgName, passphrase: opts.passphrase, clock: systemClock, swarmKey, pkcs11 })
      if (r.created && r.generatedPassphrase) out.note(`note: keys are protected by a generated passphrase in ${r.layout.passphrase} (mode 0600); set TRUSTMESH_PASSPHRASE before init to choose your own`)
      if (!r.created) out.note(`${r.layout.root} is already initialised; nothing was changed`)
      out.result({ created: r.created, dataDir: r.layout.root, ...r.identity }, () => fields([
        ['status', r.created ? 'initialised' : 'already initialised'],
        ['data dir', r.layout.root],
        ['org name', r.identity.orgName],
        ['org DID', r.identity.orgDid],
        ['org key', pkcs11 != null ? `PKCS#11 token ${pkcs11.token} (label ${pkcs11.label ?? DEFAULT_TOKEN_KEY_LABEL})` : 'encrypted key file'],
        ['node key', pkcs11?.nodeKey === true ? `PKCS#11 token ${pkcs11.token} (label ${pkcs11.nodeLabel ?? DEFAULT_TOKEN_NODE_KEY_LABEL})` : 'encrypted key file'],
        ['node PeerId', r.identity.peerId],
        ['swarm key', r.layout.swarmKey + ' (share out of band with partner orgs)'],
        ['policy', r.layout.policy]
      ]))
    })
}
