/**
 * A plain A2A server built with @a2a-js/sdk for the edge tests (what an agent framework would run):
 * JSON-RPC on `/` and its card at `/.well-known/agent-card.json`, on loopback. Its executor answers a
 * completed task echoing what it saw (arguments and the trustmesh metadata), or rejects with code
 * NOT_TODAY when the arguments ask it to.
 */
import { createServer, type Server } from 'node:http'
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, JsonRpcTransportHandler, UnauthenticatedUser, defaultServerCallContextBuilder, type AgentExecutor } from '@a2a-js/sdk/server'
import { Role, TaskState, type AgentCard, type Part } from '@a2a-js/sdk'

export interface A2ATestServer { url: string, seen: unknown[], close: () => Promise<void> }

const data = (value: unknown): Part => ({ content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' })

export async function startA2ATestServer (name = 'records-service'): Promise<A2ATestServer> {
  const seen: unknown[] = []
  const executor: AgentExecutor = {
    execute: async (ctx, bus) => {
      const m = ctx.userMessage
      const args = m.parts[0]?.content?.$case === 'data' ? m.parts[0].content.value as Record<string, unknown> : undefined
      const tm = (m.metadata?.trustmesh ?? {}) as Record<string, unknown>
      seen.push({ args, trustmesh: tm })
      const refuse = args?.refuse === true
      bus.publish(AgentEvent.task({
        id: ctx.taskId,
        contextId: ctx.contextId,
        status: {
          state: refuse ? TaskState.TASK_STATE_REJECTED : TaskState.TASK_STATE_COMPLETED,
          message: { messageId: `${ctx.taskId}-s`, contextId: ctx.contextId, taskId: ctx.taskId, role: Role.ROLE_AGENT, parts: [{ content: { $case: 'text', value: refuse ? 'not today' : 'done' }, metadata: undefined, filename: '', mediaType: 'text/plain' }], metadata: refuse ? { trustmesh: { code: 'NOT_TODAY' } } : undefined, extensions: [], referenceTaskIds: [] },
          timestamp: new Date().toISOString()
        },
        artifacts: refuse ? [] : [{ artifactId: 'out', name: 'out', description: '', parts: [data({ handledBy: name, args, invoker: tm.invoker, invocation: typeof tm.invocation === 'string', proofs: Object.keys((tm.proofs ?? {}) as object).length })], metadata: undefined, extensions: [] }],
        history: [m],
        metadata: undefined
      }))
      bus.finished()
    },
    cancelTask: async (_id, bus) => { bus.finished() }
  }
  let url = ''
  const card = (): AgentCard => ({
    name, description: 'a test A2A agent', version: '1', provider: undefined, securitySchemes: {}, securityRequirements: [], signatures: [],
    supportedInterfaces: [{ url: `${url}/`, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' }],
    capabilities: { streaming: false, pushNotifications: false, extensions: [] },
    defaultInputModes: ['application/json'], defaultOutputModes: ['application/json'],
    skills: [{ id: 'records', name: 'records', description: 'reads records', tags: ['records'], examples: [], inputModes: [], outputModes: [], securityRequirements: [] }]
  })
  let rpc: JsonRpcTransportHandler | undefined
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void (async () => {
        if (req.method === 'GET' && req.url === '/.well-known/agent-card.json') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(card()))
          return
        }
        rpc ??= new JsonRpcTransportHandler(new DefaultRequestHandler(card(), new InMemoryTaskStore(), executor))
        const version = req.headers['a2a-version'] as string | undefined
        const ctx = defaultServerCallContextBuilder({ extensions: undefined, user: new UnauthenticatedUser(), headers: req.headers, ...(version != null ? { requestedVersion: version } : {}) })
        const reply = await rpc.handle(Buffer.concat(chunks).toString('utf8'), ctx)
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply))
      })().catch((err: Error) => { res.writeHead(500).end(err.message) })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const a = server.address() as { port: number }
  url = `http://127.0.0.1:${a.port}`
  return { url, seen, close: async () => { server.closeAllConnections(); await new Promise<void>(resolve => server.close(() => { resolve() })) } }
}
