/**
 * Operator routes for delegations: list, show (chain with verdicts), revoke with the org key. Agents
 * grant and revoke their own delegations on the agent API, signed with their own keys.
 */
import { decodeDelegation, listCapabilities } from '../../../identity/ucan/index.js'
import { verifyJwtSignature } from '../../../identity/jwt.js'
import { ControlRouteError } from '../errors.js'
import type { Components } from '../../components.js'
import type { DelegationParts, DelegationService } from '../../services/delegation/delegation-service.js'

function bad (code: string, message: string, status = 400): never {
  throw new ControlRouteError(code, message, status)
}

export type DelegationRouteComponents = Pick<Components, 'control' | 'clock' | 'logger' | 'identity' | 'agents' | 'audit'>

export function delegationRoutes (ctx: DelegationRouteComponents, s: DelegationParts, revoke: DelegationService['revoke']): void {
  /** Revoked by an issuer at or above it (a revocation by anyone else does not count). */
  const isRevoked = (cid: string): boolean => {
    const chain = s.book.chainOf(cid)
    const rec = s.book.get(cid)
    return s.checker.isRevokedIn(cid, chain.ok ? chain.value : rec != null ? { [cid]: rec.jwt } : {})
  }

  ctx.control.route('GET', '/v1/delegations', async () => {
    return s.book.list().map(r => {
      const d = decodeDelegation(r.jwt)
      return {
        cid: r.cid, issuer: r.issuer, audience: r.audience, expiresAt: r.expiration != null ? new Date(r.expiration * 1000).toISOString() : null,
        capabilities: d.ok ? listCapabilities(d.value.capabilities) : [], proofs: r.proofs,
        revoked: isRevoked(r.cid)
      }
    })
  })

  ctx.control.route('GET', '/v1/delegations/:cid', async (req) => {
    const chain = s.book.chainOf(req.params.cid)
    if (!chain.ok && s.book.get(req.params.cid) == null) bad('UNKNOWN_DELEGATION', `delegation ${req.params.cid} is not held here`, 404)
    const nowS = Math.floor(ctx.clock.now() / 1000)
    // the chain as a tree, leaf first, with each link's own verdict
    const node = (cid: string, depth: number): Record<string, unknown> => {
      const rec = s.book.get(cid)
      if (rec == null || depth > 16) return { cid, verdict: 'MISSING_PROOF' }
      const d = decodeDelegation(rec.jwt)
      let verdict = 'VALID'
      if (!d.ok) verdict = d.error.code
      else if (!verifyJwtSignature(d.value.decoded, d.value.issuer).ok) verdict = 'BAD_SIGNATURE'
      else if (d.value.expiration != null && d.value.expiration < nowS) verdict = 'EXPIRED'
      else if (isRevoked(cid)) verdict = 'REVOKED'
      return {
        cid, issuer: rec.issuer, audience: rec.audience, verdict,
        capabilities: d.ok ? listCapabilities(d.value.capabilities) : [],
        expiresAt: rec.expiration != null ? new Date(rec.expiration * 1000).toISOString() : null,
        proofs: rec.proofs.map(p => node(p, depth + 1))
      }
    }
    return node(req.params.cid, 0)
  })

  ctx.control.route('POST', '/v1/delegations/:cid/revoke', async (req) => {
    const reason = (req.body as { reason?: unknown } | undefined)?.reason
    const r = await revoke(req.params.cid, typeof reason === 'string' ? reason : undefined)
    if (r.ok) return r.value
    const status = r.error.code === 'UNKNOWN_DELEGATION' ? 404 : r.error.code === 'AUDIT_UNAVAILABLE' ? 503 : 400
    bad(r.error.code, r.error.message, status)
  })
}
