/** `trustmesh identity show`: org DID, node PeerId and NodeCredential expiry, read from the data directory. */
import type { Command } from 'commander'
import { readRegularFile } from '../../../identity/regular-file.js'
import { contextOf } from '../../context.js'
import { fields } from '../../output.js'
import { dataDirLayout } from '../../../node/data-dir.js'
import { readIdentityFile } from '../../../node/identity-file.js'
import { verifyNodeCredential } from '../../../identity/credentials.js'
import { systemClock } from '../../../identity/clock.js'

export function register (identity: Command): void {
  identity.command('show')
    .description('show this organisation\'s DID, node PeerId and credential expiry')
    .action(async (_opts: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const layout = dataDirLayout(dataDir)
      const id = await readIdentityFile(layout.identity, dataDir)
      const jwt = (await readRegularFile(layout.nodeCredential)).trim()
      const v = verifyNodeCredential(jwt, { clock: systemClock, expectedIssuer: id.orgDid })
      const credential = v.ok
        ? { valid: true, expiresAt: new Date(v.value.expiresAt * 1000).toISOString(), jti: v.value.jti }
        : { valid: false, code: v.error.code, reason: v.error.message }
      // after `identity rotate --node-key` the NodeCredential stays the old PeerId's until the node restarts
      const pendingFrom = v.ok && v.value.subject.id !== id.peerId ? v.value.subject.id : undefined
      out.result({ orgName: id.orgName, orgDid: id.orgDid, peerId: id.peerId, nodeCredential: credential, ...(pendingFrom != null ? { restartPending: { runningPeerId: pendingFrom } } : {}), ...(id.previousOrgDids != null ? { previousOrgDids: id.previousOrgDids } : {}), ...(id.previousPeerIds != null ? { previousPeerIds: id.previousPeerIds } : {}), dataDir: layout.root }, () => fields([
        ['org name', id.orgName],
        ['org DID', id.orgDid],
        ['node PeerId', pendingFrom != null ? `${id.peerId} (from the next start; restart the node: it runs as ${pendingFrom})` : id.peerId],
        ['credential', v.ok ? `valid until ${credential.expiresAt}` : `INVALID (${credential.code}): ${credential.reason}`],
        ['data dir', layout.root]
      ]))
    })
}
