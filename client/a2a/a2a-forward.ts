/**
 * A2A in (`trustmesh a2a forward`): a mesh agent implemented as an A2A server. The edge serves the
 * agent's abilities with its key; each mesh task, after every check at the agent's node, is sent to
 * the A2A server (loopback only) as an A2A message with @a2a-js/sdk's client, its arguments as a
 * data part and its invocation and delegation chain in metadata. The A2A result becomes the task's
 * result (and so its receipt at the node): a completed task's output, or a failure with its code.
 */
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client'
import type { AgentCard } from '@a2a-js/sdk'
import type { Logger } from '../../identity/logger.js'
import type { Agent } from '../agent.js'
import type { TaskLoop } from '../agent-client.js'
import { messageOfTask, outputOfResult } from './a2a-messages.js'
import { requireLoopbackUrl } from './local-listen.js'

export interface A2AForwardOptions {
  /** Base URL of the A2A server (its card at `<to>/.well-known/agent-card.json`); loopback http only. */
  to: string
  logger: Logger
  /** Abilities to serve (default: all the agent holds). */
  abilities?: string[]
  concurrency?: number
  signal?: AbortSignal
}

export interface A2AForward {
  /** The A2A server's card, as it published it. */
  readonly card: AgentCard
  readonly loop: TaskLoop
  stop: () => Promise<void>
}

/** Only loopback fetches: the edge calls nothing but its node and the A2A server beside it. */
const loopbackFetch: typeof fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  requireLoopbackUrl(url)
  return await fetch(input, init)
}

export async function startA2AForward (agent: Agent, options: A2AForwardOptions): Promise<A2AForward> {
  const log = options.logger
  const base = requireLoopbackUrl(options.to)
  const card = await new DefaultAgentCardResolver({ fetchImpl: loopbackFetch }).resolve(base.href)
  for (const i of card.supportedInterfaces) requireLoopbackUrl(i.url)
  const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ fetchImpl: loopbackFetch })] }))
  const client: Client = await factory.createFromAgentCard(card)
  const abilities = options.abilities ?? (await agent.me()).capabilities
  const loop = agent.serve(abilities, async (task, { signal }) => {
    const result = await client.sendMessage({ tenant: '', message: messageOfTask(task), configuration: undefined, metadata: undefined }, { signal })
    const output = outputOfResult(result)
    log.info('a2a forward answered', { task: task.id, ability: task.ability })
    return output
  }, { concurrency: options.concurrency ?? 4, onError: (err) => { log.warn('a2a forward: node poll failed', { error: err.message }) }, ...(options.signal != null ? { signal: options.signal } : {}) })
  log.info('a2a forward serving', { agent: agent.did, abilities: abilities.join(','), to: base.href })
  return { card, loop, stop: async () => { await loop.stop() } }
}
