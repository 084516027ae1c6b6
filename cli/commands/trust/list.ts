/** `trustmesh trust list [--tier T]`: every org and agent this node has a view of, highest score first. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'
import { UsageError } from '../../output.js'
import { short } from './format.js'

interface Row { did: string, kind: string, org: string, name?: string, score: number, tier: string, localScore?: number, evidence: number, attestations: number, standing?: number }

const TIERS = ['verified', 'trusted', 'standard', 'probationary', 'untrusted']

export function register (trust: Command): void {
  trust.command('list')
    .description('rank orgs and agents by trust score')
    .option('--tier <tier>', `only this tier (${TIERS.join(', ')})`)
    .action(async (opts: { tier?: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      if (opts.tier != null && !TIERS.includes(opts.tier)) throw new UsageError(`--tier must be one of ${TIERS.join(', ')}`)
      const rows = await call<Row[]>(dataDir, 'GET', `/v1/trust${opts.tier != null ? `?tier=${encodeURIComponent(opts.tier)}` : ''}`)
      out.result(rows, () => rows.length === 0
        ? 'no orgs or agents to rank (enrol partners with trustmesh peer add)'
        : out.table(['score', 'tier', 'kind', 'name', 'did', 'local', 'evidence', 'attestations'], rows.map(r => [r.score, r.tier, r.kind, r.name, short(r.did), r.localScore, r.evidence, r.attestations])))
    })
}
