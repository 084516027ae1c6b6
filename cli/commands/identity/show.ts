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
      out.result({ orgName: id.orgName, orgDid: id.orgDid, peerId: id.peerId, nodeCredential: credential, dataDir: layout.root }, () => fields([
        ['org name', id.orgName],
        ['org DID', id.orgDid],
        ['node PeerId', id.peerId],
        ['credential', v.ok ? `valid until ${credential.expiresAt}` : `INVALID (${credential.code}): ${credential.reason}`],
        ['data dir', layout.root]
      ]))
    })
}
