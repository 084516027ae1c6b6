/** `trustmesh policy check`: what the node's policy decides for an agent, an ability and a resource, and why. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { EXIT_FAILED, UsageError } from '../../output.js'
import { call } from '../../node-client.js'

interface Trace { level: number, file: string, rule?: string, effect: string, code: string, reason: string }
interface Checked { as: string, org: string, ring: number, ringCappedBy?: string, elevatedTo?: number, effect: string, code: string, reason: string, trace: Trace[] }

export function register (policy: Command): void {
  policy.command('check')
    .description('evaluate the policy for a request: the decision and the rule at each level that produced it (exit 1 unless allowed)')
    .requiredOption('--as <did>', 'agent DID (or local agent name)')
    .requiredOption('--can <ability>', 'ability, e.g. payments/send')
    .requiredOption('--with <resource>', 'resource URI')
    .option('--args <json>', 'task arguments as JSON')
    .action(async (opts: { as: string, can: string, with: string, args?: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      let args: unknown
      if (opts.args != null) {
        try { args = JSON.parse(opts.args) } catch { throw new UsageError('--args must be valid JSON') }
      }
      const r = await call<Checked>(dataDir, 'POST', '/v1/policy/check', { as: opts.as, ability: opts.can, resource: opts.with, args })
      out.result(r, () => [
        `decision: ${r.effect} (${r.code})`,
        `reason:   ${r.reason}`,
        `caller:   ${r.as} of ${r.org}, ring ${r.ring}${r.ringCappedBy != null ? ` (${r.ringCappedBy})` : ''}${r.elevatedTo != null ? ` (elevated to ${r.elevatedTo})` : ''}`,
        ...r.trace.map(t => `  level ${t.level < 0 ? '-' : t.level} ${t.file}: ${t.effect}${t.rule != null ? ` by rule '${t.rule}'` : ''} (${t.code})`)
      ].join('\n'))
      if (r.effect !== 'allow') process.exitCode = EXIT_FAILED
    })
}
