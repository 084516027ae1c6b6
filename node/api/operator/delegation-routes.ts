/** Control API routes for delegations: grant (and deliver), list, show (chain with verdicts), revoke. */
import { randomBytes } from 'node:crypto'
import { decodeDelegation, issueDelegation, listCapabilities, capabilityWithin, checkAbility, checkResource, type Caveats } from '../../../identity/ucan/index.js'
import { verifyJwtSignature } from '../../../identity/jwt.js'
import { ControlRouteError } from '../errors.js'
import type { Components } from '../../components.js'
import type { DelegationParts, DelegationService } from '../../services/delegation/delegation-service.js'
import { audited } from './audited.js'
import type { TaskSender } from '../../services/tasks/task-sender.js'

const MAX_TTL_S = 90 * 24 * 3600

function bad (code: string, message: string, status = 400): never {
  throw new ControlRouteError(code, message, status)
}

/** `--nb key=value` caveats: numbers for maxAmount/minTrust/maxRing, strings for policy. */
function caveatsFrom (nb: unknown): Caveats {
  if (nb == null) return [{}]
  if (typeof nb !== 'object' || Array.isArray(nb)) bad('BAD_REQUEST', 'caveats must be an object')
  const out: Record<string, number | string> = {}
  for (const [k, v] of Object.entries(nb as Record<string, unknown>)) {
    if (k === 'policy') {
      if (typeof v !== 'string') bad('INVALID_CAVEAT', 'policy caveat must be a digest string')
      out[k] = v
    } else if (k === 'maxAmount' || k === 'minTrust' || k === 'maxRing') {
      const n = typeof v === 'string' ? Number(v) : v
      if (typeof n !== 'number' || !Number.isFinite(n)) bad('INVALID_CAVEAT', `${k} must be a number`)
      out[k] = n
    } else {
      bad('UNKNOWN_CAVEAT', `unknown caveat ${k} (known: maxAmount, minTrust, maxRing, policy)`)
    }
  }
  return [out]
}

export type DelegationRouteComponents = Pick<Components, 'control' | 'clock' | 'logger' | 'identity' | 'agents' | 'audit'>

export function delegationRoutes (ctx: DelegationRouteComponents, s: DelegationParts & { sender: Pick<TaskSender, 'orgOfAgent'> }, revoke: DelegationService['revoke']): void {
  /** Revoked by an issuer at or above it (a revocation by anyone else does not count). */
  const isRevoked = (cid: string): boolean => {
    const chain = s.book.chainOf(cid)
    const rec = s.book.get(cid)
    return s.checker.isRevokedIn(cid, chain.ok ? chain.value : rec != null ? { [cid]: rec.jwt } : {})
  }

  ctx.control.route('POST', '/v1/delegations', async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    const from = await ctx.agents.get(String(b.from ?? ''))
    if (from == null) bad('UNKNOWN_AGENT', `no local agent ${String(b.from)}`, 404)
    const to = String(b.to ?? '')
    const ability = String(b.ability ?? '')
    const resource = String(b.resource ?? '')
    const ab = checkAbility(ability)
    if (!ab.ok) bad(ab.error.code, ab.error.message)
    const rs = checkResource(resource)
    if (!rs.ok) bad(rs.error.code, rs.error.message)
    const ttl = typeof b.ttlSeconds === 'number' ? b.ttlSeconds : 24 * 3600
    if (!(ttl > 0 && ttl <= MAX_TTL_S)) bad('BAD_REQUEST', `ttl must be between 1 s and ${MAX_TTL_S} s`)
    let caveats: Caveats = caveatsFrom(b.caveats)
    // the proof: the delegation the granting agent holds that covers what it grants
    const nowS = Math.floor(ctx.clock.now() / 1000)
    const proofs = s.book.grantsFor(from.did, resource, ability, nowS)
    if (proofs.length === 0) bad('NO_DELEGATION', `${from.name} holds no delegation for ${ability} on ${resource}: it cannot grant it`)
    const proof = proofs[0]
    // keep every caveat the proof carries; a caveat given here is added to each of them (tighten only)
    caveats = proof.capability.caveats.map(pc => ({ ...pc, ...caveats[0] }))
    const proofD = decodeDelegation(proof.rec.jwt)
    if (!proofD.ok) bad(proofD.error.code, proofD.error.message)
    const exp = Math.min(nowS + ttl, proofD.value.expiration ?? nowS + ttl)
    const nbf = Math.max(nowS - 1, proofD.value.notBefore ?? 0)
    if (!capabilityWithin({ resource, ability, caveats }, proof.capability)) bad('ESCALATION', 'the requested caveats would widen the proof')
    const signer = await ctx.agents.signer(from.name)
    const issued = await issueDelegation(signer, { audience: to, capabilities: { [resource]: { [ability]: caveats } }, notBefore: nbf, expiration: exp, nonce: randomBytes(8).toString('base64url'), proofs: [proof.rec.jwt] })
    await audited(ctx.audit, { kind: 'delegation', subject: issued.cid, details: { from: from.did, to, ability, resource } })
    await s.book.add(issued.jwt, ctx.clock.now())
    // deliver it to the audience's node, with the proofs and credentials it rests on
    let delivered: { ok: boolean, code?: string, message?: string, org?: string }
    try {
      const routed = await s.sender.orgOfAgent(to)
      if (!routed.ok) throw Object.assign(new Error(routed.error.message), { code: routed.error.code })
      const org = routed.value
      const chain = s.book.chainOf(issued.cid)
      if (!chain.ok) throw new Error(chain.error.message)
      const credentials: Record<string, string> = {}
      for (const jwt of Object.values(chain.value)) {
        const d = decodeDelegation(jwt)
        if (d.ok) for (const did of [d.value.issuer, d.value.audience]) { const c = s.principals.credentialOf(did); if (c != null) credentials[did] = c }
      }
      const { [issued.cid]: _self, ...proofsOnly } = chain.value
      delivered = org === ctx.identity.orgDid
        ? { ...(await s.exchange.receive({ v: 1, delegation: issued.jwt, proofs: proofsOnly, credentials }, org)), org }
        : { ...(await s.exchange.deliver(org, { v: 1, delegation: issued.jwt, proofs: proofsOnly, credentials })), org }
    } catch (err) {
      delivered = { ok: false, code: (err as { code?: string }).code ?? 'DELIVERY_FAILED', message: (err as Error).message }
    }
    ctx.logger.info('delegation granted', { cid: issued.cid, from: from.name, to, ability, resource, delivered: delivered.ok })
    return { cid: issued.cid, jwt: issued.jwt, issuer: from.did, audience: to, ability, resource, caveats, expiresAt: new Date(exp * 1000).toISOString(), proof: proof.rec.cid, delivered }
  })

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
