/**
 * A runnable A2A server built with @a2a-js/sdk (README, "Connect an agent", A2A in): what an agent
 * framework would run behind `trustmesh a2a forward`. JSON-RPC on `/` and its card at
 * `/.well-known/agent-card.json`, on loopback. It answers each message with a completed task echoing
 * what it saw (the arguments and the trustmesh metadata: invoker, invocation, proofs), or rejects it
 * with code NOT_TODAY when the arguments say `{"refuse": true}`. The edge tests use it too.
 *   node dist/scripts/a2a-echo-server.js [--listen 127.0.0.1:9999] [--name records-service]
 */
import { createServer, type Server } from 'node:http'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, JsonRpcTransportHandler, UnauthenticatedUser, defaultServerCallContextBuilder, type AgentExecutor } from '@a2a-js/sdk/server'
import { Role, TaskState, type AgentCard, type Part } from '@a2a-js/sdk'

export interface A2AEchoServer { url: string, seen: unknown[], close: () => Promise<void> }

const data = (value: unknown): Part => ({ content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' })

export async function startA2AEchoServer (name = 'records-service', listen: { host?: string, port?: number } = {}): Promise<A2AEchoServer> {
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
    name, description: 'an example A2A agent that echoes what it is sent', version: '1', provider: undefined, securitySchemes: {}, securityRequirements: [], signatures: [],
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
  const host = listen.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(listen.port ?? 0, host, resolve) })
  const a = server.address() as { port: number }
  url = `http://${host}:${a.port}`
  return { url, seen, close: async () => { server.closeAllConnections(); await new Promise<void>(resolve => server.close(() => { resolve() })) } }
}

async function main (): Promise<void> {
  const { values: o } = parseArgs({ options: { listen: { type: 'string', default: '127.0.0.1:9999' }, name: { type: 'string', default: 'records-service' } } })
  const m = /^(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})$/.exec(o.listen ?? '')
  if (m == null) {
    process.stderr.write(`a2a-echo-server: --listen must be a loopback HOST:PORT such as 127.0.0.1:9999, got ${String(o.listen)}\n`)
    process.exit(2)
  }
  const s = await startA2AEchoServer(o.name, { host: m[1] === '[::1]' ? '::1' : m[1], port: Number(m[2]) })
  process.stdout.write(`A2A agent ${String(o.name)} listening on ${s.url} (card: ${s.url}/.well-known/agent-card.json)\n`)
  const stop = (): void => { void s.close().then(() => process.exit(0)) }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error & { code?: string }) => {
    process.stderr.write(`a2a-echo-server: ${err.code != null ? err.code + ': ' : ''}${err.message}\n`)
    process.exit(1)
  })
}
