/** Operator routes for local agents: register one by its DID (its key stays with the agent), list, show. */
import { ControlRouteError } from '../errors.js'
import type { Components } from '../../components.js'
import { AgentError, type AgentRecord } from '../../services/agents/agent-registry.js'

export function agentView (a: AgentRecord): Record<string, unknown> {
  return { name: a.name, did: a.did, ring: a.ring, capabilities: a.capabilities, expiresAt: new Date(a.expiresAt).toISOString(), accepted: a.acceptance != null, credential: a.credential }
}

export type AgentRouteComponents = Pick<Components, 'control' | 'agents' | 'logger' | 'roots' | 'trust'>

export function agentRoutes (ctx: AgentRouteComponents): void {
  ctx.control.route('GET', '/v1/agents', async () => (await ctx.agents.list()).map(agentView))

  ctx.control.route('POST', '/v1/agents', async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    try {
      const a = await ctx.agents.create({
        name: b.name as string,
        did: b.did as string,
        ring: b.ring as number,
        capabilities: b.capabilities as string[],
        ttlSeconds: typeof b.ttlSeconds === 'number' ? b.ttlSeconds : undefined
      })
      ctx.logger.info('agent created', { name: a.name, did: a.did, ring: a.ring })
      await ctx.roots.agentCreated(a)
      await ctx.trust.agentCreated(a)
      return agentView(a)
    } catch (err) {
      if (err instanceof AgentError) throw new ControlRouteError(err.code, err.message, err.code === 'AGENT_EXISTS' ? 409 : 400)
      throw err
    }
  })

  // the agent's acceptance of its credential, signed with its key where the key is (the CLI that made it)
  ctx.control.route('POST', '/v1/agents/:name/acceptance', async (req) => {
    const acceptance = (req.body as { acceptance?: unknown } | undefined)?.acceptance
    if (typeof acceptance !== 'string') throw new ControlRouteError('BAD_REQUEST', 'acceptance is required', 400)
    try {
      const a = await ctx.agents.accept(req.params.name, acceptance)
      await ctx.roots.agentAccepted?.(a)
      ctx.logger.info('agent accepted its credential', { agent: a.name })
      return agentView(a)
    } catch (err) {
      if (err instanceof AgentError) throw new ControlRouteError(err.code, err.message, err.code === 'UNKNOWN_AGENT' ? 404 : 400)
      throw err
    }
  })

  // removal revokes the agent's credentials (signed by the org, gossiped): every chain through it is refused
  ctx.control.route('DELETE', '/v1/agents/:name', async (req) => {
    if (ctx.roots.removeAgent == null) throw new ControlRouteError('UNSUPPORTED', 'this node cannot remove agents', 501)
    const r = await ctx.roots.removeAgent(req.params.name)
    if (!r.ok) throw new ControlRouteError(r.error.code, r.error.message, r.error.code === 'UNKNOWN_AGENT' ? 404 : 500)
    return { ...agentView(r.value.agent), removed: true, revoked: r.value.revoked }
  })

  ctx.control.route('GET', '/v1/agents/:name', async (req) => {
    const a = await ctx.agents.get(req.params.name)
    if (a == null) throw new ControlRouteError('UNKNOWN_AGENT', `no local agent ${req.params.name}`, 404)
    return agentView(a)
  })
}
