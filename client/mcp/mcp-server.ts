/**
 * The stdio MCP server of one agent (`trustmesh mcp`): an LLM host starts it as a child process and
 * gets the mesh as tools (mcp-tools.ts), each call made through the agent SDK with the agent's own key.
 * stdout carries MCP messages only; logs go to the injected logger (stderr in the CLI).
 */
import type { Readable, Writable } from 'node:stream'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js'
import type { Logger } from '../../identity/logger.js'
import type { Agent } from '../agent.js'
import { MESH_TOOLS, ToolInputError, callMeshTool } from './mcp-tools.js'

export const MCP_SERVER_NAME = 'trustmesh'

export interface McpServerOptions {
  logger: Logger
  version?: string
  /** Streams of the stdio transport (default: this process's stdin and stdout). */
  stdin?: Readable
  stdout?: Writable
}

export interface RunningMcpServer {
  /** Settles when the host closes the connection (stdin ends) or `close()` is called. */
  readonly closed: Promise<void>
  close: () => Promise<void>
}

/** Build the MCP server for `agent` (not yet connected). */
export function createMcpServer (agent: Agent, options: Pick<McpServerOptions, 'logger' | 'version'>): Server {
  const log = options.logger
  const server = new Server(
    { name: MCP_SERVER_NAME, version: options.version ?? '0.1.0' },
    {
      capabilities: { tools: {} },
      instructions: `You act in a trust mesh as agent ${agent.did} of organisation ${agent.node.orgName} (${agent.node.org}). ` +
        'Tasks you send are checked at every organisation against the delegations you hold; a refusal names its reason code.'
    }
  )
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: MESH_TOOLS.map(t => ({ ...t })) }))
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const { name, arguments: args } = req.params
    log.info('tool call', { tool: name })
    try {
      const r = await callMeshTool(agent, name, args ?? {}, { signal: extra.signal })
      if (r.isError === true) log.info('tool refused', { tool: name, code: (r.structuredContent as { code?: unknown } | undefined)?.code })
      return r
    } catch (err) {
      if (err instanceof ToolInputError) throw new McpError(ErrorCode.InvalidParams, err.message)
      log.error('tool failed', { tool: name, error: (err as Error).message })
      throw err
    }
  })
  return server
}

/** Serve MCP over stdio until the host goes away. */
export async function runMcpServer (agent: Agent, options: McpServerOptions): Promise<RunningMcpServer> {
  const server = createMcpServer(agent, options)
  const transport = new StdioServerTransport(options.stdin, options.stdout)
  let done!: () => void
  const closed = new Promise<void>(resolve => { done = resolve })
  server.onclose = () => { done() }
  server.onerror = (err) => { options.logger.warn('mcp transport error', { error: err.message }) }
  ;(options.stdin ?? process.stdin).once('end', () => { void server.close() })
  await server.connect(transport)
  options.logger.info('mcp server ready', { agent: agent.did })
  return { closed, close: async () => { await server.close() } }
}
