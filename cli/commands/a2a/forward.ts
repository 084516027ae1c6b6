/**
 * `trustmesh a2a forward --agent NAME --key FILE --to http://127.0.0.1:PORT`: the agent is an A2A
 * server; its mesh tasks, after every check at its node, are delivered to that server as A2A messages
 * (client/a2a/a2a-forward.ts) and its results become the tasks' results and receipts.
 */
import type { Command } from 'commander'
import { contextOf, collect } from '../../context.js'
import { fields } from '../../output.js'
import { agentAs } from '../../node-client.js'
import { createLogger, type LogLevel } from '../../../identity/logger.js'
import { requireLoopbackUrl } from '../../../client/a2a/local-listen.js'

export function register (a2a: Command): void {
  a2a.command('forward')
    .description('deliver this agent\'s mesh tasks to an A2A server (loopback) and answer with its results')
    .requiredOption('--agent <name>', 'local agent whose tasks are forwarded (name or DID)')
    .option('--key <file>', 'that agent\'s key file (default <data-dir>/agents/<agent>.key)')
    .requiredOption('--to <url>', 'the A2A server, http://127.0.0.1:PORT (its card at /.well-known/agent-card.json)')
    .option('--can <ability>', 'serve only this ability (repeatable; default: all the agent holds)', collect, [])
    .option('--log-level <level>', 'debug, info, warn or error (to stderr)', 'info')
    .action(async (opts: { agent: string, key?: string, to: string, can: string[], logLevel: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      requireLoopbackUrl(opts.to)
      const logger = createLogger('trustmesh:a2a', { level: opts.logLevel as LogLevel })
      const agent = await agentAs(dataDir, opts.agent, opts.key)
      // the A2A SDK loads only when an edge runs: `node start` never pays its memory
      const { startA2AForward } = await import('../../../client/a2a/a2a-forward.js')
      const fwd = await startA2AForward(agent, { to: opts.to, logger, ...(opts.can.length > 0 ? { abilities: opts.can } : {}) })
      out.result({ agent: agent.did, to: opts.to, a2aAgent: fwd.card.name }, () => fields([['forwarding', agent.did], ['to A2A agent', `${fwd.card.name} at ${opts.to}`]]))
      await new Promise<void>(resolve => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve) })
      await fwd.stop()
      await agent.close()
    })
}
