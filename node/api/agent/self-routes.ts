/**
 * Agent API routes about the calling agent and what it may look up: its own record and credential,
 * its acceptance (countersignature) of that credential, the delegations it issued or holds, trust
 * scores, and the partners' agent directory (each entry with the A2A Agent Card its org signed, when known).
 */
import { decodeDelegation, listCapabilities } from '../../../identity/ucan/index.js'
import { isDidKey } from '../../../identity/did-key.js'
import { tierOf } from '../../../trust/index.js'
import { ControlRouteError } from '../errors.js'
import type { ControlServer } from '../control-server.js'
import type { Components } from '../../components.js'
import { AgentError } from '../../services/agents/agent-registry.js'
import type { DelegationParts } from '../../services/delegation/delegation-service.js'
import { agentView } from '../operator/agent-routes.js'
import { callerOf } from './agent-auth.js'

const DIRECTORY_REFRESH_MS = 5_000

export type AgentSelfComponents = Pick<Components, 'clock' | 'identity' | 'agents' | 'trust' | 'registry' | 'logger'>

export function agentSelfRoutes (server: ControlServer, c: AgentSelfComponents, parts: Pick<DelegationParts, 'book' | 'principals' | 'exchange' | 'checker'>): void {
  server.route('GET', '/v1/agent/me', async (req) => {
    const a = await c.agents.require(callerOf(req))
    return agentView(a)
  })

  server.route('POST', '/v1/agent/acceptance', async (req) => {
    const acceptance = (req.body as { acceptance?: unknown } | undefined)?.acceptance
    if (typeof acceptance !== 'string') throw new ControlRouteError('BAD_REQUEST', 'acceptance is required', 400)
    try {
      const a = await c.agents.accept(callerOf(req), acceptance)
      await parts.principals.add(a.credential, { acceptance })
      c.logger.info('agent accepted its credential', { agent: a.name, expiresAt: new Date(a.expiresAt).toISOString() })
      return agentView(a)
    } catch (err) {
      if (err instanceof AgentError) throw new ControlRouteError(err.code, err.message, 400)
      throw err
    }
  })

  server.route('GET', '/v1/agent/delegations', async (req) => {
    const me = callerOf(req)
    return parts.book.list().filter(r => r.issuer === me || r.audience === me).map(r => {
      const d = decodeDelegation(r.jwt)
      const chain = parts.book.chainOf(r.cid)
      return {
        cid: r.cid, jwt: r.jwt, issuer: r.issuer, audience: r.audience,
        expiresAt: r.expiration != null ? new Date(r.expiration * 1000).toISOString() : null,
        capabilities: d.ok ? listCapabilities(d.value.capabilities) : [], proofs: r.proofs,
        revoked: parts.checker.isRevokedIn(r.cid, chain.ok ? chain.value : { [r.cid]: r.jwt })
      }
    })
  })

  server.route('GET', '/v1/agent/trust/:did', async (req) => {
    callerOf(req)
    const did = req.params.did
    if (!isDidKey(did)) throw new ControlRouteError('BAD_REQUEST', `${did} is not a did:key`, 400)
    const score = c.trust.trustOf(did)
    return { did, score: score ?? null, tier: score != null ? tierOf(score) : null }
  })

  let refreshedAt = 0
  server.route('GET', '/v1/agent/directory', async (req) => {
    callerOf(req)
    if (c.clock.now() - refreshedAt > DIRECTORY_REFRESH_MS) {
      refreshedAt = c.clock.now()
      await Promise.allSettled(c.registry.peers().map(async p => await parts.exchange.fetchAgents(p.orgDid, { signal: req.signal })))
    }
    return parts.principals.list().filter(p => p.org !== c.identity.orgDid).map(p => {
      const card = parts.exchange.cardOf(p.did)
      return { did: p.did, name: p.name, org: p.org, ring: p.ring, capabilities: p.capabilities, ...(card != null ? { card } : {}) }
    })
  })
}
