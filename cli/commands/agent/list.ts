/** `trustmesh agent list`: this node's agents. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'
import type { AgentView } from './create.js'

export function register (agent: Command): void {
  agent.command('list')
    .description('list this node\'s agents')
    .action(async (_o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const agents = await call<AgentView[]>(dataDir, 'GET', '/v1/agents')
      out.result(agents.map(({ credential: _c, ...rest }) => rest), () => agents.length === 0 ? 'no agents (trustmesh agent create <name> --ring 3 --can records/read)' : out.table(['name', 'DID', 'ring', 'can', 'expires'], agents.map(a => [a.name, a.did, a.ring, a.capabilities.join(','), a.expiresAt])))
    })
}
