/**
 * `trustmesh mcp --agent NAME --key FILE`: a stdio MCP server acting as that one agent, for an LLM
 * host (its config starts this command). stdout is the MCP channel; logs go to stderr.
 */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { agentAs } from '../../node-client.js'
import { createLogger, type LogLevel } from '../../../identity/logger.js'

export function register (program: Command): void {
  program.command('mcp')
    .description('stdio MCP server: the mesh as tools for an LLM host, acting as one agent with its key')
    .requiredOption('--agent <name>', 'local agent to act as (name or DID)')
    .option('--key <file>', 'that agent\'s key file (default <data-dir>/agents/<agent>.key)')
    .option('--log-level <level>', 'debug, info, warn or error (to stderr)', 'warn')
    .action(async (opts: { agent: string, key?: string, logLevel: string }, cmd: Command) => {
      const { dataDir } = contextOf(cmd)
      const logger = createLogger('trustmesh:mcp', { level: opts.logLevel as LogLevel })
      const agent = await agentAs(dataDir, opts.agent, opts.key)
      // the MCP SDK loads only when the edge runs: `node start` never pays its memory
      const { runMcpServer } = await import('../../../client/mcp/mcp-server.js')
      const server = await runMcpServer(agent, { logger })
      const stop = (): void => { void server.close() }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      await server.closed
      await agent.close()
    })
}
