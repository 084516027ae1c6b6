/**
 * `trustmesh trust forgive <did> [--reason TEXT]`: drop this node's first-hand evidence about an org or
 * agent (for refusals this org caused, say), recorded in the audit log before it takes effect.
 */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'
import { fields } from '../../output.js'

export interface ForgiveView { did: string, forgiven: number, scoreBefore: number | null, score: number | null, tier: string | null }

export function forgiveHuman (v: ForgiveView): string {
  return fields([
    ['subject', v.did],
    ['forgiven', `${v.forgiven} evidence record${v.forgiven === 1 ? '' : 's'} (audited)`],
    ['score', v.score == null ? 'unknown' : `${v.scoreBefore ?? '-'} -> ${v.score} (${v.tier ?? '-'})`]
  ])
}

export function register (trust: Command): void {
  trust.command('forgive <did>')
    .description('drop this node\'s evidence about an org or agent (audited); attestations of other orgs stay')
    .option('--reason <text>', 'why, for the audit log')
    .action(async (did: string, opts: { reason?: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const v = await call<ForgiveView>(dataDir, 'POST', `/v1/trust/${encodeURIComponent(did)}/forgive`, opts.reason != null ? { reason: opts.reason } : {})
      out.result(v, forgiveHuman)
    })
}
