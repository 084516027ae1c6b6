/**
 * `trustmesh identity rotate`: replace the org key of the running node. The new key is a file key,
 * or on a PKCS#11 token (--pkcs11-module/--token/--pin-file; by default the current key's token when
 * it is on one). The old key signs a successor record; partners follow it at their next hello.
 * With --node-key: a new node key (new PeerId) instead, used from the node's next start; its
 * NodeCredential names the old PeerId as replaced, and partners refuse the old PeerId from then on.
 * The new node key goes where the token options say, else where the current node key is.
 */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { fields, UsageError } from '../../output.js'
import { call } from '../../node-client.js'

interface RotateOptions { pkcs11Module?: string, token?: string, pinFile?: string, keyLabel?: string, file?: boolean, nodeKey?: boolean }
interface NodeKeyReply { oldPeerId: string, newPeerId: string, newNodeDid: string, key: string, where: 'file' | 'pkcs11', restartRequired: true }
interface RotateReply { oldDid: string, newDid: string, key: { where: string, token?: string, label?: string }, reissued: { nodeCredential: boolean, agents: number } }

export function register (identity: Command): void {
  identity.command('rotate')
    .description('rotate the org key: a new key signs from now on, partners follow the signed successor record')
    .option('--pkcs11-module <path>', 'create the new key on this PKCS#11 module\'s token')
    .option('--token <label>', 'label of the token for the new key')
    .option('--pin-file <file>', 'file holding the token\'s user PIN')
    .option('--key-label <label>', 'label of the new key on the token (default trustmesh-org-<n>, or trustmesh-node-<n> with --node-key)')
    .option('--file', 'keep the new key in an encrypted key file even if the current one is on a token')
    .option('--node-key', 'rotate the node key instead (new PeerId, effective when the node restarts)')
    .action(async (opts: RotateOptions, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const tokenOpts = [opts.pkcs11Module, opts.token, opts.pinFile]
      if (tokenOpts.some(o => o != null) && tokenOpts.some(o => o == null)) throw new UsageError('--pkcs11-module, --token and --pin-file go together')
      if (opts.file === true && opts.pkcs11Module != null) throw new UsageError('--file and --pkcs11-module exclude each other')
      const body = {
        ...(opts.pkcs11Module != null ? { pkcs11: { module: opts.pkcs11Module, token: opts.token, pinFile: opts.pinFile, ...(opts.keyLabel != null ? { label: opts.keyLabel } : {}) } } : {}),
        file: opts.file === true
      }
      if (opts.nodeKey === true) {
        const n = await call<NodeKeyReply>(dataDir, 'POST', '/v1/identity/rotate-node-key', body, 60_000)
        out.result(n, () => fields([
          ['old PeerId', `${n.oldPeerId} (retired when the node restarts)`],
          ['new PeerId', n.newPeerId],
          ['new node key', n.where === 'pkcs11' ? n.key : `${n.key} (encrypted key file)`],
          ['next step', 'RESTART THE NODE NOW (stop `trustmesh node start` with SIGTERM or your service manager, and start it again): it runs as the old PeerId until then; at the restart the org key issues a NodeCredential for the new PeerId and partners refuse the old one']
        ]))
        return
      }
      const r = await call<RotateReply>(dataDir, 'POST', '/v1/identity/rotate', body, 60_000)
      out.result(r, () => fields([
        ['old org DID', `${r.oldDid} (retired)`],
        ['new org DID', r.newDid],
        ['new key', r.key.where === 'pkcs11' ? `PKCS#11 token ${r.key.token ?? ''} (label ${r.key.label ?? ''})` : 'encrypted key file'],
        ['re-issued', `NodeCredential${r.reissued.nodeCredential ? '' : ' (not needed)'}, ${r.reissued.agents} agent credential(s) and root delegation(s)`]
      ]))
    })
}
