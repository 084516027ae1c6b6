/** `trustmesh ring elevate`: an org-signed, time-limited, audited elevation of a local agent's ring. */
import type { Command } from 'commander'
import { contextOf, intOption, parseDuration } from '../../context.js'
import { fields, UsageError } from '../../output.js'
import { call } from '../../node-client.js'

export function register (ring: Command): void {
  ring.command('elevate <agent>')
    .description('grant a local agent a more privileged ring for a limited time (expires by itself)')
    .requiredOption('--ring <n>', 'ring to grant (1 or 2; ring 0 is never granted)', intOption('--ring', 0, 3))
    .requiredOption('--ttl <duration>', 'how long, e.g. 15m, 2h (at most 24h)')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action(async (agent: string, opts: { ring: number, ttl: string, reason: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      let ttlSeconds: number
      try { ttlSeconds = parseDuration(opts.ttl) } catch (err) { throw new UsageError((err as Error).message) }
      const r = await call<Record<string, unknown>>(dataDir, 'POST', '/v1/rings/elevations', { agent, ring: opts.ring, ttlSeconds, reason: opts.reason })
      out.result(r, () => fields([['agent', `${String(r.agent)} (${String(r.did)})`], ['ring', `${String(r.from)} -> ${String(r.ring)}`], ['until', r.expiresAt], ['reason', r.reason], ['id', r.id]]))
    })
}
