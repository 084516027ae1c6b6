/** `trustmesh delegation grant --from <agent> [--key FILE]`: a local agent, with its key, delegates an attenuated capability. */
import type { Command } from 'commander'
import { contextOf, collect, parseDuration } from '../../context.js'
import { fields, UsageError } from '../../output.js'
import { agentAs } from '../../node-client.js'

interface GrantResult { cid: string, issuer: string, audience: string, ability: string, resource: string, caveats: unknown, expiresAt: string, proof: string, delivered: { ok: boolean, code?: string, message?: string, org?: string } }

export function register (delegation: Command): void {
  delegation.command('grant')
    .description('delegate an ability on a resource from a local agent to another agent (prints the CID)')
    .requiredOption('--from <agent>', 'local agent that grants (name or DID)')
    .option('--key <file>', 'that agent\'s key file (default <data-dir>/agents/<agent>.key)')
    .requiredOption('--to <did>', 'agent DID that receives it')
    .requiredOption('--can <ability>', 'ability, e.g. records/read')
    .requiredOption('--with <resource>', 'resource URI, e.g. tm:<org-did>/records')
    .option('--ttl <duration>', 'lifetime, e.g. 1h, 7d', '24h')
    .option('--nb <key=value>', 'caveat to add (maxAmount, minTrust, maxRing, policy), repeatable', collect, [])
    .action(async (opts: { from: string, key?: string, to: string, can: string, with: string, ttl: string, nb: string[] }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      let ttlSeconds: number
      try { ttlSeconds = parseDuration(opts.ttl) } catch (err) { throw new UsageError((err as Error).message) }
      const caveats: Record<string, string> = {}
      for (const kv of opts.nb) {
        const i = kv.indexOf('=')
        if (i <= 0) throw new UsageError(`--nb ${JSON.stringify(kv)} must be key=value`)
        caveats[kv.slice(0, i)] = kv.slice(i + 1)
      }
      const agent = await agentAs(dataDir, opts.from, opts.key)
      const r: GrantResult = await agent.delegate({ to: opts.to, ability: opts.can, resource: opts.with, ttlSeconds, ...(opts.nb.length > 0 ? { caveats } : {}) })
      await agent.close()
      if (!out.json) out.line(r.cid)
      out.result(r, () => fields([
        ['from', r.issuer], ['to', r.audience], ['can', `${r.ability} on ${r.resource}`], ['caveats', r.caveats], ['expires', r.expiresAt], ['proof', r.proof],
        ['delivered', r.delivered.ok ? `yes (to ${r.delivered.org ?? 'its node'})` : `no: ${r.delivered.code ?? ''} ${r.delivered.message ?? ''} (the audience's node cannot use it until delivered)`]
      ]))
    })
}
