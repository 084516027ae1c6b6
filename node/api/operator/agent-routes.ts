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

  ctx.control.route('GET', '/v1/agents/:name', async (req) => {
    const a = await ctx.agents.get(req.params.name)
    if (a == null) throw new ControlRouteError('UNKNOWN_AGENT', `no local agent ${req.params.name}`, 404)
    return agentView(a)
  })
}
