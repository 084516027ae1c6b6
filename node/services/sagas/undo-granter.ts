/**
 * The executing side of "undo authorised before doing": a coordinator (an agent of an enrolled org, or
 * of this one) asks for the compensation ability of a step on a resource of this org. This node decides
 * under its own policy, as if the compensation were invoked now by that coordinator (ring, rules,
 * caller org), and only then issues the grant: the org's root to this node's saga service principal,
 * and that principal's delegation to the coordinator (signed with the node's own saga service key,
 * never an agent's), valid until the saga's deadline. Audited before it is issued.
 */
import { randomBytes } from 'node:crypto'
import { issueDelegation } from '../../../identity/ucan/index.js'
import { evaluatePolicy } from '../../../authz/index.js'
import type { UndoGrantReply, UndoGrantRequest } from '../../../protocols/saga/index.js'
import type { Components } from '../../components.js'
import type { AgentRecord } from '../agents/agent-registry.js'
import type { DelegationBook } from '../delegation/delegation-book.js'
import type { PrincipalBook } from '../delegation/principal-book.js'

/** An undo grant lives at most this long, however far the saga's deadline. */
export const MAX_UNDO_GRANT_S = 8 * 24 * 3600

export type UndoGranterComponents = Pick<Components, 'clock' | 'logger' | 'identity' | 'orgSigner' | 'sagaSigner' | 'agents' | 'policy' | 'enrolments' | 'audit' | 'trust'>

export interface UndoGranterParts {
  book: DelegationBook
  principals: PrincipalBook
  /** This node's saga service principal (registered on first use; its key is the node's `sagaSigner`). */
  sagaAgent: () => Promise<AgentRecord>
}

const refuse = (code: string, message: string): UndoGrantReply => ({ v: 1, ok: false, code, message })

export class UndoGranter {
  readonly #c: UndoGranterComponents
  readonly #p: UndoGranterParts

  constructor (c: UndoGranterComponents, p: UndoGranterParts) {
    this.#c = c
    this.#p = p
  }

  async grant (req: UndoGrantRequest, fromOrg: string): Promise<UndoGrantReply> {
    const r = await this.#decide(req, fromOrg)
    const details = { saga: req.saga, step: req.step, coordinator: req.coordinator, from: fromOrg, executor: req.executor, ability: req.ability, resource: req.resource }
    if (!r.ok) {
      // a refusal is a decision too: it is in the log before it is answered
      const a = await this.#c.audit.record({ kind: 'saga', subject: req.step, reason: r.code, details: { ...details, event: 'undo-refused', message: r.message } })
      return a.ok ? r : refuse('AUDIT_UNAVAILABLE', 'the audit log cannot be written; nothing is decided without it')
    }
    return r
  }

  async #decide (req: UndoGrantRequest, fromOrg: string): Promise<UndoGrantReply> {
    const { clock, identity } = this.#c
    const self = identity.orgDid
    const coordinator = await this.#p.principals.add(req.credential, { org: fromOrg, from: fromOrg, ...(req.acceptance != null ? { acceptance: req.acceptance } : {}) })
    if (!coordinator.ok) return refuse(coordinator.error.code, `the coordinator's credential: ${coordinator.error.message}`)
    if (coordinator.value.did !== req.coordinator) return refuse('PRINCIPAL_MISALIGNED', `the credential names ${coordinator.value.did}, not the coordinator ${req.coordinator}`)
    if (await this.#c.agents.get(req.executor) == null) return refuse('UNKNOWN_EXECUTOR', `no agent ${req.executor} on this node`)
    if (req.resource !== `tm:${self}` && !req.resource.startsWith(`tm:${self}/`)) return refuse('NOT_RESOURCE_OWNER', `${req.resource} is not a resource of ${self}: only its owner grants its undo`)
    const nowS = Math.floor(clock.now() / 1000)
    if (req.expiresAt <= nowS) return refuse('EXPIRED', 'the saga\'s deadline has passed')
    const agent = await this.#p.sagaAgent()
    // the compensation as it would arrive: the least privileged ring of the chain, capped for the caller's org
    const orgMaxRing = fromOrg === self ? 1 : this.#c.enrolments.get(fromOrg)?.maxRing ?? 3
    const ring = Math.max(agent.ring, coordinator.value.ring, orgMaxRing)
    const trust = this.#c.trust.trustOf(fromOrg)
    const decision = evaluatePolicy(this.#c.policy.get().policy, {
      ability: req.ability, resource: req.resource, callerOrg: fromOrg, callerAgent: req.coordinator, selfOrg: self, ring, ...(trust != null ? { trust } : {})
    })
    if (decision.effect === 'deny') return refuse(decision.code, `undo not granted: ${decision.reason}`)
    if (decision.effect !== 'allow') return refuse('UNDO_NEEDS_APPROVAL', `undo not granted: the compensation would wait for a human approval (${decision.reason})`)
    const exp = Math.min(req.expiresAt, nowS + MAX_UNDO_GRANT_S, Math.floor(agent.expiresAt / 1000))
    const audited = await this.#c.audit.record({
      kind: 'delegation', subject: req.step, reason: decision.code,
      details: { event: 'undo-granted', saga: req.saga, step: req.step, coordinator: req.coordinator, from: fromOrg, executor: req.executor, ability: req.ability, resource: req.resource, ring, expiresAt: exp }
    })
    if (!audited.ok) return refuse('AUDIT_UNAVAILABLE', 'the audit log cannot be written; nothing is decided without it')
    const caps = { [req.resource]: { [req.ability]: [{}] } }
    const root = await issueDelegation(this.#c.orgSigner, { audience: agent.did, capabilities: caps, notBefore: nowS - 1, expiration: exp, nonce: randomBytes(8).toString('base64url') })
    await this.#p.book.add(root.jwt, clock.now())
    if (req.coordinator === agent.did) {
      // this node coordinates a step of its own org: the org's root to its saga agent is the whole grant
      this.#c.logger.info('undo granted', { saga: req.saga, step: req.step, coordinator: req.coordinator, ability: req.ability, resource: req.resource, cid: root.cid })
      return { v: 1, ok: true, delegation: root.jwt, proofs: {}, credentials: { [agent.did]: agent.credential } }
    }
    // the node's own saga service key signs the second link: the executing side's coordinator identity, not an agent's key
    if (this.#c.sagaSigner.did !== agent.did) return refuse('SAGA_KEY_MISMATCH', 'this node\'s saga principal does not match its saga key')
    const grant = await issueDelegation(this.#c.sagaSigner, { audience: req.coordinator, capabilities: caps, notBefore: nowS - 1, expiration: exp, nonce: randomBytes(8).toString('base64url'), proofs: [root.jwt] })
    await this.#p.book.add(grant.jwt, clock.now())
    this.#c.logger.info('undo granted', { saga: req.saga, step: req.step, coordinator: req.coordinator, ability: req.ability, resource: req.resource, cid: grant.cid })
    return { v: 1, ok: true, delegation: grant.jwt, proofs: { [root.cid]: root.jwt }, credentials: { [agent.did]: agent.credential } }
  }
}
