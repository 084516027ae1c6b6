/**
 * `trustmesh a2a serve --agent NAME --key FILE --listen 127.0.0.1:PORT`: the A2A bridge of one agent
 * (client/a2a/a2a-bridge.ts). A2A clients send to `http://127.0.0.1:PORT/agents/<did>`; each message
 * becomes a mesh task signed with the agent's key. Listens on loopback or a unix socket only.
 */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { fields } from '../../output.js'
import { agentAs } from '../../node-client.js'
import { createLogger, type LogLevel } from '../../../identity/logger.js'
import { parseListen } from '../../../client/a2a/local-listen.js'

export function register (a2a: Command): void {
  a2a.command('serve')
    .description('A2A bridge: A2A clients reach the partners\' mesh agents through it, as this agent')
    .requiredOption('--agent <name>', 'local agent to act as (name or DID)')
    .option('--key <file>', 'that agent\'s key file (default <data-dir>/agents/<agent>.key)')
    .requiredOption('--listen <addr>', '127.0.0.1:PORT, [::1]:PORT or a unix socket path')
    .option('--log-level <level>', 'debug, info, warn or error (to stderr)', 'info')
    .action(async (opts: { agent: string, key?: string, listen: string, logLevel: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const listen = parseListen(opts.listen)
      const logger = createLogger('trustmesh:a2a', { level: opts.logLevel as LogLevel })
      const agent = await agentAs(dataDir, opts.agent, opts.key)
      // the A2A SDK loads only when an edge runs: `node start` never pays its memory
      const { startA2ABridge } = await import('../../../client/a2a/a2a-bridge.js')
      const bridge = await startA2ABridge(agent, { logger, listen })
      out.result({ url: bridge.url, agent: agent.did, agents: `${bridge.url}/agents` }, () => fields([['a2a bridge', bridge.url], ['as agent', agent.did], ['mesh agents', `${bridge.url}/agents`]]))
      await new Promise<void>(resolve => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve) })
      await bridge.close()
      await agent.close()
    })
}
