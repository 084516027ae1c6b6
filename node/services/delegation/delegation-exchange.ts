/**
 * Mesh protocols around delegations: delivering a granted delegation to the audience agent's node
 * (which checks every link's signature and alignment before storing it), and the agent directory
 * (a partner's AgentCredentials, each verified against that partner's org).
 */
import type { Connection, Stream } from '@libp2p/interface'
import { decodeDelegation } from '../../../identity/ucan/index.js'
import { verifyJwtSignature } from '../../../identity/jwt.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import { requestReply, serveRequest } from '../../../protocols/request-response.js'
import { DELEGATION_MAX_BYTES, DELEGATION_PROTOCOL, deliveryReplySchema, deliverySchema, type DelegationDelivery, type DeliveryReply } from '../../../protocols/delegation/messages.js'
import { AGENTS_MAX_BYTES, AGENTS_PROTOCOL, MAX_AGENTS_LISTED, agentsReplySchema, agentsRequestSchema } from '../../../protocols/agents/messages.js'
import type { NodeContext } from '../../node-context.js'
import type { DelegationBook } from './delegation-book.js'
import type { PrincipalBook } from './principal-book.js'

const REQUEST_TIMEOUT_MS = 10_000

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

export class DelegationExchange {
  readonly #ctx: NodeContext
  readonly #book: DelegationBook
  readonly #principals: PrincipalBook

  constructor (ctx: NodeContext, book: DelegationBook, principals: PrincipalBook) {
    this.#ctx = ctx
    this.#book = book
    this.#principals = principals
  }

  async start (): Promise<void> {
    const { mesh } = this.#ctx
    await mesh.handle(DELEGATION_PROTOCOL, async (stream, conn) => { await this.#onDelivery(stream, conn) }, { maxInboundStreams: 8 })
    await mesh.handle(AGENTS_PROTOCOL, async (stream) => { await this.#onAgents(stream) }, { maxInboundStreams: 4 })
    mesh.onPeerVerified((peer) => { void this.fetchAgents(peer.orgDid).catch(() => {}) })
  }

  async #onDelivery (stream: Stream, conn: Connection): Promise<void> {
    await serveRequest(stream, DELEGATION_MAX_BYTES, deliverySchema, REQUEST_TIMEOUT_MS, async (d) => await this.receive(d, this.#ctx.mesh.verifiedPeer(conn.id)?.orgDid ?? 'unknown'))
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

  async deliver (orgDid: string, d: DelegationDelivery): Promise<DeliveryReply> {
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    const stream = await this.#ctx.mesh.openStream(orgDid, DELEGATION_PROTOCOL, { signal })
    return await requestReply(stream, DELEGATION_MAX_BYTES, d, deliveryReplySchema, signal)
  }

  async #onAgents (stream: Stream): Promise<void> {
    await serveRequest(stream, AGENTS_MAX_BYTES, agentsRequestSchema, REQUEST_TIMEOUT_MS, async () => {
      const now = this.#ctx.clock.now()
      return { credentials: (await this.#ctx.agents.list()).filter(a => a.expiresAt > now).slice(0, MAX_AGENTS_LISTED).map(a => a.credential) }
    })
  }

  /** Learn a partner org's agents; only credentials issued by that org are kept (others are ignored). */
  async fetchAgents (orgDid: string): Promise<number> {
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    const stream = await this.#ctx.mesh.openStream(orgDid, AGENTS_PROTOCOL, { signal })
    const reply = await requestReply(stream, AGENTS_MAX_BYTES, { v: 1 }, agentsReplySchema, signal)
    let n = 0
    for (const jwt of reply.credentials) {
      const r = await this.#principals.add(jwt, { org: orgDid })
      if (r.ok) n++
    }
    return n
  }
}
