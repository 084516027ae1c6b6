/**
 * Control API routes for ring elevations: the org signs an explicit, time-limited elevation for one
 * of its own agents (audited before it is stored), and lists those still in force. Elevations expire
 * by themselves; the executor applies valid ones at each decision.
 */
import { ControlRouteError } from '../errors.js'
import type { AuditRecorder, Components } from '../../components.js'
import { audited } from './audited.js'
import { ElevationInputError, issueElevation } from '../../../authz/index.js'
import type { ElevationBook } from '../../services/approvals/elevation-book.js'

export function ringRoutes (ctx: Pick<Components, 'control' | 'agents' | 'orgSigner' | 'clock' | 'logger'>, elevations: ElevationBook, audit: AuditRecorder): void {
  ctx.control.route('POST', '/v1/rings/elevations', async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    const agent = await ctx.agents.get(String(b.agent ?? ''))
    if (agent == null) throw new ControlRouteError('UNKNOWN_AGENT', `no local agent ${String(b.agent)}: only this org's own agents can be elevated`, 404)
    if (typeof b.ring !== 'number' || typeof b.ttlSeconds !== 'number' || typeof b.reason !== 'string') throw new ControlRouteError('BAD_REQUEST', 'ring, ttlSeconds and reason are required', 400)
    if (b.ring >= agent.ring) throw new ControlRouteError('ELEVATION_NOT_HIGHER', `${agent.name} already holds ring ${agent.ring}; an elevation must grant a more privileged ring (lower number)`, 400)
    let jwt: string
    try {
      jwt = await issueElevation(ctx.orgSigner, { agent: agent.did, ring: b.ring, ttlSeconds: b.ttlSeconds, reason: b.reason }, ctx.clock)
    } catch (err) {
      if (err instanceof ElevationInputError) throw new ControlRouteError(err.code, err.message, 400)
      throw err
    }
    const decoded = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as { jti: string, exp: number }
    await audited(audit, { kind: 'elevation', subject: agent.did, reason: b.reason, details: { agent: agent.name, from: agent.ring, ring: b.ring, ttlSeconds: b.ttlSeconds, jti: decoded.jti, exp: decoded.exp } })
    const added = await elevations.add(jwt)
    if (!added.ok) throw new ControlRouteError(added.error.code, added.error.message, 400)
    const e = added.value
    ctx.logger.info('ring elevated', { agent: agent.name, from: agent.ring, ring: e.ring, until: new Date(e.exp * 1000).toISOString() })
    return { agent: agent.name, did: agent.did, from: agent.ring, ring: e.ring, reason: e.reason, issuedAt: new Date(e.iat * 1000).toISOString(), expiresAt: new Date(e.exp * 1000).toISOString(), id: e.jti }
  })

  ctx.control.route('GET', '/v1/rings/elevations', async () => {
    const byDid = new Map((await ctx.agents.list()).map(a => [a.did, a]))
    return (await elevations.valid()).map(e => ({ agent: byDid.get(e.sub)?.name ?? e.sub, did: e.sub, from: byDid.get(e.sub)?.ring, ring: e.ring, reason: e.reason, expiresAt: new Date(e.exp * 1000).toISOString(), id: e.jti }))
  })
}
