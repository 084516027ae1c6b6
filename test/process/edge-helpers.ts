/**
 * Helpers for process tests of the agent edges: start a CLI edge (`a2a serve`, `a2a forward`) and
 * read its JSON line, stop them all, send one A2A message through a bridge with @a2a-js/sdk's client,
 * and make one MCP tool call with the MCP SDK's Client over stdio.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js'
import { Client as A2AClient, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client'
import { Role, type Task } from '@a2a-js/sdk'
import { CLI_MAIN, waitUntil } from '../helpers/node-process.js'

/** Partners may read records (the edges are tested here, not policies). */
export const PARTNER_READ_POLICY = `version: 1
name: edges-test
default: deny
rings:
  "*/read": 3
  records/write: 2
rules:
  - id: read-self-and-partners
    effect: allow
    match:
      ability: records/read
      callerOrg: [self, partner]
`

const edges = new Set<ChildProcess>()

/** Start a CLI edge and wait for its JSON line on stdout. */
export async function startEdge<T = unknown> (dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<T & { proc: ChildProcess, logs: () => string }> {
  const proc = spawn(process.execPath, [CLI_MAIN, '--data-dir', dir, '--json', ...args], { env: { ...process.env, TRUSTMESH_DATA_DIR: undefined, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  edges.add(proc)
  let out = ''
  let err = ''
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
  let value: T | undefined
  await waitUntil(() => {
    if (proc.exitCode != null) throw new Error(`trustmesh ${args.join(' ')} exited ${String(proc.exitCode)}: ${err}`)
    try { value = JSON.parse(out) as T; return true } catch { return false }
  }, 20_000, `trustmesh ${args[0]} ${args[1]} to start`)
  return { ...(value as T), proc, logs: () => err }
}

export async function stopEdges (): Promise<void> {
  await Promise.all([...edges].map(async p => {
    edges.delete(p)
    if (p.exitCode != null || p.signalCode != null) return
    const done = new Promise(resolve => p.once('exit', resolve))
    p.kill('SIGKILL')
    await done
  }))
}

/** An A2A client for one mesh agent on a bridge: its card as served (org-signed) and a JSON-RPC transport to the bridge. */
export async function a2aClientFor (bridgeUrl: string, agentDid: string): Promise<{ client: A2AClient, card: Awaited<ReturnType<DefaultAgentCardResolver['resolve']>> }> {
  const card = await new DefaultAgentCardResolver().resolve(bridgeUrl, `/agents/${agentDid}/.well-known/agent-card.json`)
  return { card, client: new A2AClient(await new JsonRpcTransportFactory().create(`${bridgeUrl}/agents/${agentDid}`, card), card) }
}

/** `SendMessage` with a data part and trustmesh metadata; the result must be a task. */
export async function sendA2A (bridgeUrl: string, agentDid: string, args: unknown, trustmesh: Record<string, unknown>, client?: A2AClient): Promise<Task> {
  const c = client ?? (await a2aClientFor(bridgeUrl, agentDid)).client
  const r = await c.sendMessage({
    tenant: '',
    message: { messageId: `m-${Math.random().toString(36).slice(2)}`, contextId: '', taskId: '', role: Role.ROLE_USER, parts: [{ content: { $case: 'data', value: args }, metadata: undefined, filename: '', mediaType: 'application/json' }], metadata: { trustmesh }, extensions: [], referenceTaskIds: [] },
    configuration: undefined,
    metadata: undefined
  })
  if (!('status' in r)) throw new Error(`expected a task, got ${JSON.stringify(r)}`)
  return r
}

/** Start `trustmesh mcp` for one agent through the MCP SDK's Client over stdio. */
export async function mcpClient (dir: string, agent: string, keyFile: string, env: NodeJS.ProcessEnv = {}): Promise<McpClient> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI_MAIN, '--data-dir', dir, 'mcp', '--agent', agent, '--key', keyFile], env: { ...getDefaultEnvironment(), ...env } as Record<string, string>, stderr: 'pipe' })
  const client = new McpClient({ name: 'trustmesh-tests', version: '1.0.0' })
  await client.connect(transport)
  return client
}

/** One tool call in a fresh MCP session. */
export async function mcpCall (dir: string, agent: string, keyFile: string, tool: string, args: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<{ isError?: boolean, structuredContent?: unknown }> {
  const client = await mcpClient(dir, agent, keyFile, env)
  try {
    return await client.callTool({ name: tool, arguments: args }) as { isError?: boolean, structuredContent?: unknown }
  } finally {
    await client.close()
  }
}
