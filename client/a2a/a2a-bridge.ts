/**
 * A2A out (`trustmesh a2a serve`): an agent-side bridge, built with @a2a-js/sdk, through which agents
 * that speak A2A reach mesh agents as this one agent. Each mesh agent of the partners' directory is
 * served at `/agents/<did>`: its Agent Card (`/agents/<did>/.well-known/agent-card.json`) exactly as
 * its org signed it, verified offline against the org's did:key before every use (a card that fails is
 * never served, and nothing is sent under it), and a JSON-RPC endpoint (A2A 1.0 `SendMessage`, and
 * v0.3 `message/send`) that turns each message into a mesh task invoked and signed with this agent's
 * key. The answer, or the refusal with its reason code, is the A2A task's result; a task held for
 * approval is `auth-required` at first and takes its outcome when an approver decides. It listens on
 * loopback or a unix socket and calls nothing but its node.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, JsonRpcTransportHandler, UnauthenticatedUser, defaultServerCallContextBuilder, type AgentExecutor } from '@a2a-js/sdk/server'
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server'
import type { AgentCard } from '@a2a-js/sdk'
import type { Logger } from '../../identity/logger.js'
import { isDidKey } from '../../identity/did-key.js'
import { verifyAgentCard, type AgentCardJson } from '../../protocols/agents/agent-card.js'
import type { Agent, DirectoryEntry } from '../agent.js'
import { meshRequestOf, rejectedTask, taskOfOutcome } from './a2a-messages.js'
import { followPending, type FollowOptions } from './follow-pending.js'
import { listenOn, type ListenTarget } from './local-listen.js'

export const AGENT_CARD_WELL_KNOWN = '/.well-known/agent-card.json'
export const MAX_REQUEST_BYTES = 1024 * 1024
const DIRECTORY_TTL_MS = 5_000

/** A directory entry as the agent API lists it: with the card its org signed, when known. */
export interface CardEntry extends DirectoryEntry { card?: AgentCardJson }

export interface A2ABridgeOptions {
  logger: Logger
  listen: ListenTarget
  /** How long the partners' directory (and its cards) is reused; default 5 s. */
  directoryTtlMs?: number
  /** How a task held for approval is followed after `auth-required` is returned (follow-pending.ts). */
  follow?: Omit<FollowOptions, 'signal'>
}

export interface A2ABridge {
  /** `http://127.0.0.1:PORT` (or the socket path). */
  readonly url: string
  /** The A2A address of a mesh agent on this bridge. */
  agentUrl: (did: string) => string
  close: () => Promise<void>
}

class BridgeError extends Error {
  override readonly name = 'BridgeError'
  constructor (readonly code: string, message: string, readonly status: number) { super(message) }
}

export async function startA2ABridge (agent: Agent, options: A2ABridgeOptions): Promise<A2ABridge> {
  const log = options.logger
  let directory: { at: number, entries: CardEntry[] } | undefined
  const handlers = new Map<string, { cardText: string, rpc: JsonRpcTransportHandler, legacy: LegacyJsonRpcTransportHandler }>()
  // ends every follow of a pending task when the bridge closes
  const closing = new AbortController()

  const entries = async (signal: AbortSignal): Promise<CardEntry[]> => {
    if (directory == null || Date.now() - directory.at > (options.directoryTtlMs ?? DIRECTORY_TTL_MS)) directory = { at: Date.now(), entries: await agent.directory({ signal }) as CardEntry[] }
    return directory.entries
  }

  /** The agent's card, only if it verifies against the org the directory names for that agent. */
  const verifiedCard = async (did: string, signal: AbortSignal): Promise<{ entry: CardEntry, card: AgentCardJson }> => {
    const entry = (await entries(signal)).find(e => e.did === did)
    if (entry == null) throw new BridgeError('UNKNOWN_AGENT', `${did} is not an agent of a partner organisation`, 404)
    if (entry.card == null) throw new BridgeError('NO_AGENT_CARD', `the org of ${did} published no Agent Card`, 404)
    const v = await verifyAgentCard(entry.card, entry.org)
    if (!v.ok || v.value.agentDid !== did) {
      const code = v.ok ? 'CARD_WRONG_AGENT' : v.error.code
      log.warn('agent card refused', { agent: did, code })
      throw new BridgeError(code, v.ok ? `the card names ${v.value.agentDid}, not ${did}` : v.error.message, 502)
    }
    return { entry, card: entry.card }
  }

  const executorFor = (entry: CardEntry, card: AgentCardJson): AgentExecutor => ({
    execute: async (ctx, bus) => {
      const ids = { taskId: ctx.taskId, contextId: ctx.contextId }
      const message = ctx.userMessage
      const req = meshRequestOf(message, ctx.request.metadata)
      const ability = req.ability ?? (card.skills.length === 1 ? card.skills[0].id : undefined)
      if (ability == null) {
        bus.publish(AgentEvent.task(rejectedTask('ABILITY_REQUIRED', `name the ability in metadata.trustmesh.ability (one of ${card.skills.map(s => s.id).join(', ')})`, ids, message)))
        bus.finished()
        return
      }
      const resource = req.resource ?? `tm:${entry.org}/${ability.split('/')[0]}`
      try {
        const outcome = await agent.send({ to: entry.did, ability, resource, args: req.args, ...(req.proof != null ? { proof: req.proof } : {}), ...(req.timeoutMs != null ? { timeoutMs: req.timeoutMs } : {}) })
        log.info('a2a task', { to: entry.did, ability, outcome: outcome.outcome, code: outcome.code })
        const task = taskOfOutcome(outcome, ids, message)
        bus.publish(AgentEvent.task(task))
        if (outcome.outcome === 'pending') {
          // held for approval: the caller gets `auth-required` now (a blocking send returns this
          // snapshot); the task keeps its id and takes its outcome once an approver decides (tasks/get)
          bus.publish(AgentEvent.statusUpdate({ taskId: ids.taskId, contextId: ids.contextId, status: task.status, metadata: task.metadata }))
          const final = await followPending(agent, outcome, { ...options.follow, signal: closing.signal })
          log.info('a2a task decided', { to: entry.did, ability, outcome: final.outcome, code: final.code })
          const done = taskOfOutcome(final, ids, message)
          bus.publish(AgentEvent.task(done))
          bus.publish(AgentEvent.statusUpdate({ taskId: ids.taskId, contextId: ids.contextId, status: done.status, metadata: done.metadata }))
        }
      } catch (err) {
        const e = err as { code?: unknown, message?: unknown }
        const code = typeof e?.code === 'string' ? e.code : 'SEND_FAILED'
        log.info('a2a task refused', { to: entry.did, ability, code })
        bus.publish(AgentEvent.task(rejectedTask(code, typeof e?.message === 'string' ? e.message : String(err), ids, message)))
      }
      bus.finished()
    },
    // a mesh task cannot be called back once sent; the A2A task simply ends with its answer
    cancelTask: async (_taskId, bus) => { bus.finished() }
  })

  const handlerFor = async (did: string, signal: AbortSignal): Promise<{ rpc: JsonRpcTransportHandler, legacy: LegacyJsonRpcTransportHandler }> => {
    const { entry, card } = await verifiedCard(did, signal)
    const cardText = JSON.stringify(card)
    const cached = handlers.get(did)
    if (cached != null && cached.cardText === cardText) return cached
    const requestHandler = new DefaultRequestHandler(card as unknown as AgentCard, new InMemoryTaskStore(), executorFor(entry, card))
    const h = { cardText, rpc: new JsonRpcTransportHandler(requestHandler), legacy: new LegacyJsonRpcTransportHandler(requestHandler) }
    handlers.set(did, h)
    return h
  }

  const handle = async (req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://bridge').pathname
    if (req.method === 'GET' && path === '/agents') {
      const list = (await entries(signal)).map(e => ({ did: e.did, name: e.name, org: e.org, abilities: e.capabilities, card: e.card != null ? `/agents/${e.did}${AGENT_CARD_WELL_KNOWN}` : null }))
      send(res, 200, list)
      return
    }
    const m = /^\/agents\/([^/]+)(\/\.well-known\/agent-card\.json)?\/?$/.exec(path)
    if (m == null || !isDidKey(decodeURIComponent(m[1]))) throw new BridgeError('NOT_FOUND', 'routes: GET /agents, GET /agents/<did>/.well-known/agent-card.json, POST /agents/<did> (A2A JSON-RPC)', 404)
    const did = decodeURIComponent(m[1])
    if (m[2] != null) {
      if (req.method !== 'GET') throw new BridgeError('METHOD_NOT_ALLOWED', 'GET the agent card', 405)
      send(res, 200, (await verifiedCard(did, signal)).card)
      return
    }
    if (req.method !== 'POST') throw new BridgeError('METHOD_NOT_ALLOWED', 'POST A2A JSON-RPC requests', 405)
    const body = await readBody(req)
    const h = await handlerFor(did, signal)
    const version = header(req, 'a2a-version')
    const context = defaultServerCallContextBuilder({ extensions: undefined, user: new UnauthenticatedUser(), headers: req.headers, ...(version != null ? { requestedVersion: version } : {}) })
    const legacy = version == null || version === '0.3'
    const reply = legacy ? await h.legacy.handle(body, context) : await h.rpc.handle(body, context)
    if (typeof (reply as AsyncGenerator)[Symbol.asyncIterator] === 'function') {
      await (reply as AsyncGenerator).return(undefined)
      throw new BridgeError('STREAMING_UNSUPPORTED', 'this bridge answers message/send (blocking); the cards say streaming: false', 400)
    }
    send(res, 200, reply)
  }

  const server: Server = createServer((req, res) => {
    const ac = new AbortController()
    res.once('close', () => { ac.abort() })
    handle(req, res, ac.signal).catch((err: unknown) => {
      const e = err instanceof BridgeError ? err : new BridgeError((err as { code?: string }).code ?? 'BRIDGE_ERROR', (err as Error).message ?? String(err), 502)
      if (!(err instanceof BridgeError)) log.warn('a2a request failed', { code: e.code, error: e.message })
      if (!res.headersSent) send(res, e.status, { error: { code: e.code, message: e.message } })
      else res.end()
    })
  })
  const url = await listenOn(server, options.listen)
  log.info('a2a bridge listening', { url, agent: agent.did })
  return {
    url,
    agentUrl: (did) => `${url}/agents/${did}`,
    close: async () => {
      closing.abort()
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}

function header (req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function send (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

async function readBody (req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of req) {
    n += (c as Buffer).length
    if (n > MAX_REQUEST_BYTES) throw new BridgeError('REQUEST_TOO_LARGE', `requests are limited to ${MAX_REQUEST_BYTES} bytes`, 413)
    chunks.push(c as Buffer)
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
    if (v == null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object')
    return v as Record<string, unknown>
  } catch {
    throw new BridgeError('BAD_JSON', 'the body must be a JSON-RPC request object', 400)
  }
}
