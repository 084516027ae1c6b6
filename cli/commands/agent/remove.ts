/**
 * `trustmesh agent remove <name>`: removes a local agent. The org revokes its AgentCredential with a
 * signed record gossiped to partners, so every chain through that agent is refused at every hop
 * (CREDENTIAL_REVOKED). Irreversible: a new agent needs a new credential (`agent create`).
 */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { fields } from '../../output.js'
import { call } from '../../node-client.js'
import type { AgentView } from './create.js'

export function register (agent: Command): void {
  agent.command('remove <name>')
    .description('remove a local agent and revoke its credential (gossiped to partners; every chain through it is refused)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const a = await call<AgentView & { revoked: string[] }>(dataDir, 'DELETE', `/v1/agents/${encodeURIComponent(name)}`)
      const { credential: _c, ...rest } = a
      out.result(rest, () => fields([['removed', a.name], ['DID', a.did], ['revoked credentials', a.revoked.join(', ')]]))
    })
}
