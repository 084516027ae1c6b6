/**
 * Mesh protocols around delegations: delivering a granted delegation to the audience agent's node
 * (which checks every link's signature and alignment before storing it), and the agent directory
 * (a partner's AgentCredentials, each verified against that partner's org, and the A2A Agent Cards
 * the org signed for its agents, each verified offline against that org's did:key before it is kept).
 */
import { decodeDelegation } from '../../../identity/ucan/index.js'
import { verifyJwtSignature } from '../../../identity/jwt.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import { DELEGATION_MAX_INBOUND_STREAMS, DELEGATION_PROTOCOL, DELEGATION_TIMEOUT_MS, createDelegationHandler, deliverDelegation, type DelegationDelivery, type DeliveryReply } from '../../../protocols/delegation/index.js'
import { AGENTS_MAX_INBOUND_STREAMS, AGENTS_PROTOCOL, AGENTS_TIMEOUT_MS, MAX_AGENTS_LISTED, buildAgentCard, createAgentsHandler, requestAgentsReply, signAgentCard, verifyAgentCard, type AgentCardJson } from '../../../protocols/agents/index.js'
import type { Components } from '../../components.js'
import type { DelegationBook } from './delegation-book.js'
import type { PrincipalBook } from './principal-book.js'

/** Every link decodes, its CID matches, its signature verifies, and each proof's aud is its child's iss. */
export function checkDeliveredChain (delivery: DelegationDelivery): Result<string> {
  const r = verifiedDeliveredChain(delivery)
  return r.ok ? ok(r.value.cid) : r
}

/** As checkDeliveredChain, also naming the proofs it verified (only those are worth storing). */
function verifiedDeliveredChain (delivery: DelegationDelivery): Result<{ cid: string, verified: ReadonlySet<string> }> {
  const top = decodeDelegation(delivery.delegation)
  if (!top.ok) return top
  const todo = [top.value]
  const seen = new Set<string>()
  while (todo.length > 0) {
    const d = todo.pop()!
    if (seen.has(d.cid)) continue
    seen.add(d.cid)
    if (seen.size > 64) return fail('TOO_MANY_PROOFS', 'delivered chain has more than 64 links')
    const sig = verifyJwtSignature(d.decoded, d.issuer)
    if (!sig.ok) return fail(sig.error.code, `delegation ${d.cid}: ${sig.error.message}`)
    for (const p of d.proofs) {
      const jwt = delivery.proofs[p]
      if (jwt == null) return fail('MISSING_PROOF', `proof ${p} of ${d.cid} was not delivered`)
      const pd = decodeDelegation(jwt, { cid: p })
      if (!pd.ok) return fail(pd.error.code, `proof ${p}: ${pd.error.message}`)
      if (pd.value.audience !== d.issuer) return fail('PRINCIPAL_MISALIGNED', `proof ${p} is addressed to ${pd.value.audience}, not to ${d.issuer}`)
      todo.push(pd.value)
    }
  }
  return ok({ cid: top.value.cid, verified: seen })
}

export type ExchangeComponents = Pick<Components, 'agents' | 'clock' | 'logger' | 'mesh' | 'identity' | 'orgSigner'>

export class DelegationExchange {
  readonly #ctx: ExchangeComponents
  readonly #book: DelegationBook
  readonly #principals: PrincipalBook
  /** Our agents' signed cards, by credential (re-signed only when the credential changes). */
  readonly #ownCards = new Map<string, string>()
  /** Partners' agents' cards that verified against their org, by agent DID. */
  readonly #cards = new Map<string, AgentCardJson>()

  constructor (ctx: ExchangeComponents, book: DelegationBook, principals: PrincipalBook) {
    this.#ctx = ctx
    this.#book = book
    this.#principals = principals
  }

  async start (): Promise<void> {
    const { mesh } = this.#ctx
    const verifiedOrgOf = (conn: { id: string }): string | undefined => mesh.verifiedPeer(conn.id)?.orgDid
    await mesh.handle(DELEGATION_PROTOCOL, createDelegationHandler({ receive: async (d, fromOrg) => await this.receive(d, fromOrg), verifiedOrgOf }), { maxInboundStreams: DELEGATION_MAX_INBOUND_STREAMS })
    await mesh.handle(AGENTS_PROTOCOL, createAgentsHandler({ listAgentCredentials: async () => await this.#agentCredentials(), listAgentCards: async () => await this.#agentCards() }), { maxInboundStreams: AGENTS_MAX_INBOUND_STREAMS })
    mesh.onPeerVerified((peer) => { void this.fetchAgents(peer.orgDid).catch(() => {}) })
  }

  /** Accept a delivered delegation addressed to one of our agents. */
  async receive (d: DelegationDelivery, fromOrg: string): Promise<DeliveryReply> {
    const top = decodeDelegation(d.delegation)
    if (!top.ok) return { ok: false, code: top.error.code, message: top.error.message }
    if (await this.#ctx.agents.get(top.value.audience) == null) return { ok: false, code: 'UNKNOWN_AUDIENCE', message: `no agent ${top.value.audience} on this node` }
    const c = verifiedDeliveredChain(d)
    if (!c.ok) return { ok: false, code: c.error.code, message: c.error.message }
    for (const jwt of Object.values(d.credentials)) await this.#principals.add(jwt)
    const now = this.#ctx.clock.now()
    // only proofs the chain rests on (signature-checked above) are kept; extra entries are ignored
    for (const [cid, jwt] of Object.entries(d.proofs)) if (c.value.verified.has(cid)) await this.#book.add(jwt, now)
    await this.#book.add(d.delegation, now)
    this.#ctx.logger.info('delegation received', { cid: top.value.cid, from: fromOrg, audience: top.value.audience })
    return { ok: true }
  }

  async deliver (orgDid: string, d: DelegationDelivery, options: { signal?: AbortSignal } = {}): Promise<DeliveryReply> {
    const signal = withTimeout(options.signal, DELEGATION_TIMEOUT_MS)
    const stream = await this.#ctx.mesh.openStream(orgDid, DELEGATION_PROTOCOL, { signal })
    return await deliverDelegation(stream, d, { signal })
  }

  /** Credentials of the local agents that have not expired, as many as the directory lists. */
  async #agentCredentials (): Promise<string[]> {
    const now = this.#ctx.clock.now()
    return (await this.#ctx.agents.list()).filter(a => a.expiresAt > now).slice(0, MAX_AGENTS_LISTED).map(a => a.credential)
  }

  /** The Agent Cards of the local agents, signed by the org key (the A2A edge serves them). */
  async #agentCards (): Promise<string[]> {
    const now = this.#ctx.clock.now()
    const { identity, orgSigner } = this.#ctx
    const out: string[] = []
    const live = new Set<string>()
    for (const a of (await this.#ctx.agents.list()).filter(a => a.expiresAt > now).slice(0, MAX_AGENTS_LISTED)) {
      live.add(a.credential)
      let card = this.#ownCards.get(a.credential)
      if (card == null) {
        card = JSON.stringify(await signAgentCard(buildAgentCard({ agentDid: a.did, name: a.name, ring: a.ring, capabilities: a.capabilities, orgDid: identity.orgDid, orgName: identity.orgName }), orgSigner))
        this.#ownCards.set(a.credential, card)
      }
      out.push(card)
    }
    for (const k of this.#ownCards.keys()) if (!live.has(k)) this.#ownCards.delete(k)
    return out
  }

  /** A partner agent's Agent Card, as its org signed it (verified when it arrived). */
  cardOf (agentDid: string): AgentCardJson | undefined {
    return this.#cards.get(agentDid)
  }

  /** Learn a partner org's agents; only credentials issued by that org and cards it signed are kept (others are ignored). */
  async fetchAgents (orgDid: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    const signal = withTimeout(options.signal, AGENTS_TIMEOUT_MS)
    const stream = await this.#ctx.mesh.openStream(orgDid, AGENTS_PROTOCOL, { signal })
    const reply = await requestAgentsReply(stream, { signal })
    let n = 0
    const known = new Set<string>()
    for (const jwt of reply.credentials) {
      const r = await this.#principals.add(jwt, { org: orgDid })
      if (r.ok) { n++; known.add(r.value.did) }
    }
    for (const text of reply.cards ?? []) {
      let card: unknown
      try { card = JSON.parse(text) } catch { continue }
      const v = await verifyAgentCard(card, orgDid)
      if (v.ok && known.has(v.value.agentDid)) this.#cards.set(v.value.agentDid, card as AgentCardJson)
      else this.#ctx.logger.warn('agent card refused', { org: orgDid, code: v.ok ? 'UNKNOWN_AGENT' : v.error.code })
    }
    return n
  }
}

/** The caller's signal, bounded by the protocol's own timeout. */
function withTimeout (signal: AbortSignal | undefined, ms: number): AbortSignal {
  const t = AbortSignal.timeout(ms)
  return signal == null ? t : AbortSignal.any([signal, t])
}
