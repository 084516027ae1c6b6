/**
 * Delegations an agent grants. The agent signs them itself (the node never holds its key): `plan`
 * names the proof the agent holds that covers the grant, the caveats (the proof's, each tightened by
 * those asked for) and a window inside the proof's; `submit` takes the delegation the agent signed,
 * checks it is by that agent and within a proof it holds, audits it, stores it, and delivers it with
 * its proofs and credentials to the audience agent's node.
 */
import { decodeDelegation, listCapabilities, capabilityWithin, checkAbility, checkResource, type Caveats } from '../../../identity/ucan/index.js'
import { verifyJwtSignature } from '../../../identity/jwt.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { Components } from '../../components.js'
import type { DelegationParts } from './delegation-service.js'

export const MAX_GRANT_TTL_S = 90 * 24 * 3600

export interface GrantPlanInput {
  /** The granting local agent (its DID: the authenticated caller). */
  from: string
  to: string
  ability: string
  resource: string
  ttlSeconds?: number
  /** Caveats to add to each of the proof's (tighten only). */
  caveats?: Record<string, number | string>
}

export interface GrantPlan {
  audience: string
  capabilities: Record<string, Record<string, Caveats>>
  notBefore: number
  expiration: number
  /** The proof the agent names (its JWT goes into `prf` by CID). */
  proof: { cid: string, jwt: string }
}

export interface GrantResult {
  cid: string
  jwt: string
  issuer: string
  audience: string
  ability: string
  resource: string
  caveats: Caveats
  expiresAt: string
  proof: string
  delivered: { ok: boolean, code?: string, message?: string, org?: string }
}

export type GrantComponents = Pick<Components, 'clock' | 'logger' | 'identity' | 'agents' | 'audit'>

export class DelegationGrants {
  readonly #ctx: GrantComponents
  readonly #s: DelegationParts & { orgOfAgent: (did: string) => Promise<Result<string>> }

  constructor (ctx: GrantComponents, parts: DelegationParts & { orgOfAgent: (did: string) => Promise<Result<string>> }) {
    this.#ctx = ctx
    this.#s = parts
  }

  async plan (input: GrantPlanInput): Promise<Result<GrantPlan>> {
    const from = await this.#ctx.agents.get(input.from)
    if (from == null) return fail('UNKNOWN_AGENT', `no local agent ${input.from}`)
    const ab = checkAbility(input.ability)
    if (!ab.ok) return ab
    const rs = checkResource(input.resource)
    if (!rs.ok) return rs
    const ttl = input.ttlSeconds ?? 24 * 3600
    if (!(Number.isInteger(ttl) && ttl > 0 && ttl <= MAX_GRANT_TTL_S)) return fail('BAD_REQUEST', `ttl must be between 1 s and ${MAX_GRANT_TTL_S} s`)
    const nowS = Math.floor(this.#ctx.clock.now() / 1000)
    const proof = this.#s.book.grantsFor(from.did, input.resource, input.ability, nowS)[0]
    if (proof == null) return fail('NO_DELEGATION', `${from.name} holds no delegation for ${input.ability} on ${input.resource}: it cannot grant it`)
    const caveats: Caveats = proof.capability.caveats.map(pc => ({ ...pc, ...(input.caveats ?? {}) }))
    if (!capabilityWithin({ resource: input.resource, ability: input.ability, caveats }, proof.capability)) return fail('ESCALATION', 'the requested caveats would widen the proof')
    const pd = decodeDelegation(proof.rec.jwt)
    if (!pd.ok) return pd
    return ok({
      audience: input.to,
      capabilities: { [input.resource]: { [input.ability]: caveats } },
      notBefore: Math.max(nowS - 1, pd.value.notBefore ?? 0),
      expiration: Math.min(nowS + ttl, pd.value.expiration ?? nowS + ttl),
      proof: { cid: proof.rec.cid, jwt: proof.rec.jwt }
    })
  }

  /** A delegation `from` signed: checked, audited, stored and delivered. */
  async submit (from: string, jwt: string, options: { signal?: AbortSignal } = {}): Promise<Result<GrantResult>> {
    const { ctx } = { ctx: this.#ctx }
    const s = this.#s
    const agent = await ctx.agents.get(from)
    if (agent == null) return fail('UNKNOWN_AGENT', `no local agent ${from}`)
    if (agent.expiresAt <= ctx.clock.now()) return fail('CREDENTIAL_EXPIRED', `the AgentCredential of ${agent.name} has expired`)
    const d = decodeDelegation(jwt)
    if (!d.ok) return d
    if (d.value.issuer !== agent.did) return fail('NOT_ISSUER', `the delegation is issued by ${d.value.issuer}, not by ${agent.did}: an agent grants only what it signed itself`)
    const sig = verifyJwtSignature(d.value.decoded, agent.did)
    if (!sig.ok) return sig
    if (d.value.proofs.length !== 1) return fail('BAD_DELEGATION', 'a granted delegation names exactly one proof')
    const proofRec = s.book.get(d.value.proofs[0])
    if (proofRec == null) return fail('NO_DELEGATION', `${agent.name} holds no delegation ${d.value.proofs[0]} here`)
    const proof = decodeDelegation(proofRec.jwt)
    if (!proof.ok) return proof
    if (proof.value.audience !== agent.did) return fail('NOT_HOLDER', `delegation ${proofRec.cid} is addressed to ${proof.value.audience}, not ${agent.did}`)
    const granted = listCapabilities(d.value.capabilities)
    const held = listCapabilities(proof.value.capabilities)
    for (const c of granted) if (!held.some(h => capabilityWithin(c, h))) return fail('ESCALATION', `${c.ability} on ${c.resource} is not within delegation ${proofRec.cid}`)
    const nowS = Math.floor(ctx.clock.now() / 1000)
    const exp = d.value.expiration
    if (exp == null || exp <= nowS) return fail('EXPIRED', 'the delegation has no expiry or has expired')
    if (exp - nowS > MAX_GRANT_TTL_S) return fail('TTL_TOO_LONG', `a delegation lives at most ${MAX_GRANT_TTL_S} s`)
    if (proof.value.expiration != null && exp > proof.value.expiration) return fail('ESCALATION', 'the delegation outlives its proof')
    if (s.checker.isRevokedIn(proofRec.cid, s.book.heldChainOf(proofRec.cid).jwts)) return fail('REVOKED', `delegation ${proofRec.cid} has been revoked`)
    const first = granted[0]
    const audit = await ctx.audit.record({ kind: 'delegation', subject: d.value.cid, details: { from: agent.did, to: d.value.audience, ability: first.ability, resource: first.resource } })
    if (!audit.ok) return audit
    await s.book.add(jwt, ctx.clock.now())
    const delivered = await this.#deliver(d.value.cid, jwt, d.value.audience, options.signal)
    ctx.logger.info('delegation granted', { cid: d.value.cid, from: agent.name, to: d.value.audience, ability: first.ability, resource: first.resource, delivered: delivered.ok })
    return ok({ cid: d.value.cid, jwt, issuer: agent.did, audience: d.value.audience, ability: first.ability, resource: first.resource, caveats: first.caveats, expiresAt: new Date(exp * 1000).toISOString(), proof: proofRec.cid, delivered })
  }

  /** To the audience's node, with the proofs and credentials it rests on. */
  async #deliver (cid: string, jwt: string, to: string, signal?: AbortSignal): Promise<GrantResult['delivered']> {
    const s = this.#s
    try {
      const routed = await s.orgOfAgent(to)
      if (!routed.ok) return { ok: false, code: routed.error.code, message: routed.error.message }
      const org = routed.value
      const chain = s.book.chainOf(cid)
      if (!chain.ok) return { ok: false, code: chain.error.code, message: chain.error.message }
      const credentials: Record<string, string> = {}
      for (const link of Object.values(chain.value)) {
        const l = decodeDelegation(link)
        if (l.ok) for (const did of [l.value.issuer, l.value.audience]) { const c = s.principals.credentialOf(did); if (c != null) credentials[did] = c }
      }
      const { [cid]: _self, ...proofs } = chain.value
      const delivery = { v: 1 as const, delegation: jwt, proofs, credentials }
      const r = org === this.#ctx.identity.orgDid ? await s.exchange.receive(delivery, org) : await s.exchange.deliver(org, delivery, { ...(signal != null ? { signal } : {}) })
      return { ...r, org }
    } catch (err) {
      return { ok: false, code: (err as { code?: string }).code ?? 'DELIVERY_FAILED', message: (err as Error).message }
    }
  }
}
