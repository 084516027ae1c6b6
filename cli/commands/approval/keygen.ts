/** `trustmesh approval keygen --out FILE`: a new approver key (private JWK, 0600) for the person who approves. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { fields } from '../../output.js'
import { writeApproverKey } from '../../approver-key.js'

export function register (approval: Command): void {
  approval.command('keygen')
    .description('create an approver key file (keep it with the approver, not the node); prints its DID')
    .requiredOption('--out <file>', 'where to write the key (never overwritten)')
    .action(async (opts: { out: string }, cmd: Command) => {
      const { out } = contextOf(cmd)
      const signer = await writeApproverKey(opts.out)
      out.result({ did: signer.did, file: opts.out }, () => fields([['DID', signer.did], ['key file', `${opts.out} (0600)`], ['next', `trustmesh approval approver add NAME --did ${signer.did} --role R`]]))
    })
}
