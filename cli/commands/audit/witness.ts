/** `trustmesh audit witness`: logs this node cosigns for its partners, and any equivocation it caught (exit 1). */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { EXIT_FAILED, fields } from '../../output.js'
import { call } from '../../node-client.js'

interface Reply { name: string, logs: string[], equivocations: Array<{ origin: string, size: number, detectedAt: number, evidence: [string, string] }> }

export function register (audit: Command): void {
  audit.command('witness')
    .description('partner logs this node witnesses and the equivocations it detected (exit 1 if any)')
    .action(async (_o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const r = await call<Reply>(dataDir, 'GET', '/v1/audit/witness')
      out.result(r, () => fields([
        ['witness', r.name], ['logs', r.logs.length > 0 ? r.logs.join(', ') : 'none this run'],
        ['equivocations', r.equivocations.length === 0 ? 'none' : r.equivocations.map(e => `${e.origin} signed two trees of size ${e.size} (${new Date(e.detectedAt).toISOString()})`).join('; ')]
      ]))
      if (r.equivocations.length > 0) process.exitCode = EXIT_FAILED
    })
}
