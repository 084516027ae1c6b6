/** `trustmesh agent create <name>`: an agent key and its AgentCredential (ring, capabilities, expiry). */
import type { Command } from 'commander'
import { contextOf, collect, intOption, parseDuration } from '../../context.js'
import { fields, UsageError } from '../../output.js'
import { call } from '../../node-client.js'

export interface AgentView { name: string, did: string, ring: number, capabilities: string[], expiresAt: string, credential: string, rootDelegation?: { cid: string } }

export function register (agent: Command): void {
  agent.command('create <name>')
    .description('create a local agent: its own key, an AgentCredential and the org\'s root delegation of its abilities')
    .requiredOption('--ring <n>', 'privilege ring 1 (high impact), 2 (writes) or 3 (read-only)', intOption('--ring', 0, 3))
    .option('--can <ability>', 'ability the agent holds on this org\'s resources, repeatable', collect, [])
    .option('--ttl <duration>', 'credential lifetime, e.g. 30d', '30d')
    .action(async (name: string, opts: { ring: number, can: string[], ttl: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      if (opts.can.length === 0) throw new UsageError('agent create needs at least one --can <ability>')
      let ttlSeconds: number
      try { ttlSeconds = parseDuration(opts.ttl) } catch (err) { throw new UsageError((err as Error).message) }
      const a = await call<AgentView>(dataDir, 'POST', '/v1/agents', { name, ring: opts.ring, capabilities: opts.can, ttlSeconds })
      out.result(a, () => fields([['agent', a.name], ['DID', a.did], ['ring', a.ring], ['can', a.capabilities.join(', ')], ['expires', a.expiresAt], ...(a.rootDelegation != null ? [['root delegation', a.rootDelegation.cid]] as Array<[string, unknown]> : [])]))
    })
}
