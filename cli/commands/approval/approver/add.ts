/** `trustmesh approval approver add NAME --did DID [--role R]`: name a person who may approve parked tasks. */
import type { Command } from 'commander'
import { contextOf } from '../../../context.js'
import { fields } from '../../../output.js'
import { call } from '../../../node-client.js'

interface Approver { name: string, did: string, role?: string, addedAt: number }

export function register (approver: Command): void {
  approver.command('add <name>')
    .description('add a named approver: the DID of a key they hold (trustmesh approval keygen), with an optional role')
    .requiredOption('--did <did>', 'the approver\'s did:key')
    .option('--role <role>', 'a role policy rules can require (approvals: { count: 2, role: R })')
    .action(async (name: string, opts: { did: string, role?: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const a = await call<Approver>(dataDir, 'POST', '/v1/approvers', { name, did: opts.did, ...(opts.role != null ? { role: opts.role } : {}) })
      out.result(a, () => fields([['approver', a.name], ['DID', a.did], ['role', a.role ?? '(none)']]))
    })
}
