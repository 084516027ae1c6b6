/**
 * Submitting a saga: the document is validated (errors name the step and field), and the invoking
 * agent delegates to this node's coordinator, for the saga's lifetime, each step's ability on its
 * resource: a normal delegation, attenuated from the one the agent holds (its caveats kept), so the
 * coordinator can do nothing the agent could not. The agent holds its key, so it signs those
 * delegations itself: `planSaga` says what to sign (audience, capability, proof, window), and
 * `prepareSaga` checks each one it gets back (by that agent, to the coordinator, within a delegation
 * the agent holds here) and is audited before they are kept.
 */
import { randomBytes } from 'node:crypto'
import { capabilityWithin, decodeDelegation, listCapabilities } from '../../../identity/ucan/index.js'
import { verifyJwtSignature } from '../../../identity/jwt.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import { parseSagaDocument, validateSagaDocument, type SagaDocument, type SagaRecord } from '../../../sagas/index.js'
import type { Components } from '../../components.js'
import type { SagaPlan, SagaStepGrant } from '../../../protocols/control/saga.js'
import type { AgentRecord } from '../agents/agent-registry.js'
import type { DelegationBook } from '../delegation/delegation-book.js'

export type { SagaPlan, SagaStepGrant }

export interface SagaSubmission {
  /** Local agent (name or DID) that runs the saga. */
  as: string
  /** The saga document: YAML or JSON text, or already parsed. */
  document: unknown
  /** Step id -> the delegation (JWT) the agent signed to the coordinator for that step (see `planSaga`). */
  delegations?: Record<string, string>
}

/** Grants to the coordinator outlive the deadline by this much (in flight invocations finish). */
const DELEGATION_MARGIN_S = 60
/** Clock tolerance for a signed delegation's window. */
const SKEW_S = 60

type SubmissionComponents = Pick<Components, 'clock' | 'agents' | 'audit'>

async function resolve (c: SubmissionComponents, coordinator: AgentRecord, input: Pick<SagaSubmission, 'as' | 'document'>): Promise<Result<{ doc: SagaDocument, invoker: AgentRecord }>> {
  const doc = typeof input.document === 'string' ? parseSagaDocument(input.document) : validateSagaDocument(input.document)
  if (!doc.ok) return doc
  const invoker = await c.agents.get(input.as)
  if (invoker == null) return fail('UNKNOWN_AGENT', `no local agent ${input.as}`)
  if (invoker.did === coordinator.did) return fail('INVALID_SAGA', 'the coordinator cannot run a saga as itself')
  return ok({ doc: doc.value, invoker })
}

/** What the agent must sign, one delegation a step; refused if the agent cannot do a step. */
export async function planSaga (c: SubmissionComponents, book: DelegationBook, coordinator: AgentRecord, input: Pick<SagaSubmission, 'as' | 'document'>): Promise<Result<SagaPlan>> {
  const r = await resolve(c, coordinator, input)
  if (!r.ok) return r
  const { doc, invoker } = r.value
  const now = c.clock.now()
  const nowS = Math.floor(now / 1000)
  const deadline = now + doc.deadlineSeconds * 1000
  const grants: SagaStepGrant[] = []
  for (const [i, s] of doc.steps.entries()) {
    const p = book.grantsFor(invoker.did, s.resource, s.ability, nowS)[0]
    if (p == null) return fail('NO_DELEGATION', `step ${i + 1} (${s.id}): ${invoker.name} holds no delegation for ${s.ability} on ${s.resource}`)
    const pd = decodeDelegation(p.rec.jwt)
    if (!pd.ok) return pd
    grants.push({
      step: s.id, audience: coordinator.did, resource: s.resource, ability: s.ability, caveats: p.capability.caveats, proof: { cid: p.rec.cid, jwt: p.rec.jwt },
      notBefore: Math.max(nowS - 1, pd.value.notBefore ?? 0),
      expiration: Math.min(Math.floor(deadline / 1000) + DELEGATION_MARGIN_S, pd.value.expiration ?? Number.MAX_SAFE_INTEGER)
    })
  }
  return ok({ coordinator: coordinator.did, invoker: invoker.did, deadline, grants })
}

/** Checks the agent-signed delegations, audits the submission, keeps them, and returns the new saga record. */
export async function prepareSaga (
  c: SubmissionComponents,
  book: DelegationBook,
  coordinator: AgentRecord,
  input: SagaSubmission
): Promise<Result<SagaRecord>> {
  const r = await resolve(c, coordinator, input)
  if (!r.ok) return r
  const { doc, invoker } = r.value
  const now = c.clock.now()
  const nowS = Math.floor(now / 1000)
  const deadline = now + doc.deadlineSeconds * 1000
  const given = input.delegations ?? {}
  // every step's delegation first: one that is missing or wrong is refused before anything is kept
  const checked: Array<{ cid: string, jwt: string }> = []
  for (const [i, s] of doc.steps.entries()) {
    const where = `step ${i + 1} (${s.id})`
    const jwt = given[s.id]
    if (typeof jwt !== 'string') return fail('NO_DELEGATION', `${where}: no delegation from ${invoker.name} to the coordinator (sign one per step: trustmesh saga run --as ${invoker.name})`)
    const d = decodeDelegation(jwt)
    if (!d.ok) return fail('BAD_DELEGATION', `${where}: ${d.error.message}`)
    if (d.value.issuer !== invoker.did) return fail('NOT_ISSUER', `${where}: the delegation is issued by ${d.value.issuer}, not by ${invoker.did}`)
    const sig = verifyJwtSignature(d.value.decoded, invoker.did)
    if (!sig.ok) return fail('BAD_SIGNATURE', `${where}: ${sig.error.message}`)
    if (d.value.audience !== coordinator.did) return fail('WRONG_AUDIENCE', `${where}: the delegation is to ${d.value.audience}, not to this node's coordinator ${coordinator.did}`)
    const caps = listCapabilities(d.value.capabilities)
    if (!caps.some(cap => cap.resource === s.resource && cap.ability === s.ability)) return fail('ESCALATION', `${where}: the delegation does not grant ${s.ability} on ${s.resource}`)
    if (d.value.proofs.length !== 1) return fail('BAD_DELEGATION', `${where}: the delegation names exactly one proof`)
    // the proof: a delegation the agent holds here, valid now, granting the step; the new one is within it
    const held = book.grantsFor(invoker.did, s.resource, s.ability, nowS).find(g => g.rec.cid === d.value.proofs[0])
    if (held == null) return fail('NO_DELEGATION', `${where}: ${invoker.name} holds no delegation ${d.value.proofs[0]} for ${s.ability} on ${s.resource}`)
    const top = decodeDelegation(held.rec.jwt)
    if (!top.ok) return top
    const proofCaps = listCapabilities(top.value.capabilities)
    for (const cap of caps) {
      if (!proofCaps.some(pc => capabilityWithin(cap, pc))) return fail('ESCALATION', `${where}: ${cap.ability} on ${cap.resource} is not within delegation ${held.rec.cid}`)
    }
    if (d.value.expiration == null || d.value.expiration <= nowS) return fail('EXPIRED', `${where}: the delegation has expired or has no expiry`)
    if (d.value.notBefore != null && d.value.notBefore > nowS + SKEW_S) return fail('NOT_YET_VALID', `${where}: the delegation is not valid yet`)
    if (top.value.expiration != null && d.value.expiration > top.value.expiration) return fail('ESCALATION', `${where}: the delegation outlives ${held.rec.cid}`)
    checked.push({ cid: d.value.cid, jwt })
  }
  const id = `saga-${randomBytes(10).toString('hex')}`
  const audited = await c.audit.record({
    kind: 'saga', subject: id, reason: 'SUBMITTED',
    details: { saga: id, event: 'submitted', invoker: invoker.did, coordinator: coordinator.did, steps: doc.steps.map((s, i) => ({ id: s.id, to: s.to, ability: s.ability, resource: s.resource, undo: s.compensate.ability, delegation: checked[i].cid })) }
  })
  if (!audited.ok) return audited
  const delegations: Record<string, string> = {}
  for (const [i, s] of doc.steps.entries()) {
    const added = await book.add(checked[i].jwt, now)
    if (!added.ok) return added
    delegations[s.id] = checked[i].cid
  }
  return ok({
    id, ...(doc.name != null ? { name: doc.name } : {}), invoker: invoker.did, invokerName: invoker.name, coordinator: coordinator.did,
    state: 'running', createdAt: now, updatedAt: now, deadline, document: doc, delegations,
    steps: doc.steps.map((s, index) => ({ index, id: s.id, state: 'pending' as const })),
    timeline: [{ at: now, hop: 'saga', kind: 'state', outcome: 'running', code: 'SUBMITTED', reason: `${doc.steps.length} steps as ${invoker.name}` }]
  })
}
