/**
 * Submitting a saga: the document is validated (errors name the step and field), and the invoking
 * agent delegates to this node's coordinator, for the saga's lifetime, each step's ability on its
 * resource: a normal delegation, attenuated from the one the agent holds (its caveats kept), so the
 * coordinator can do nothing the agent could not. Audited before the delegations are issued.
 */
import { randomBytes } from 'node:crypto'
import { decodeDelegation, issueDelegation } from '../../../identity/ucan/index.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import { parseSagaDocument, validateSagaDocument, type SagaRecord } from '../../../sagas/index.js'
import type { Components } from '../../components.js'
import type { AgentRecord } from '../agents/agent-registry.js'
import type { DelegationBook } from '../delegation/delegation-book.js'

export interface SagaSubmission {
  /** Local agent (name or DID) that runs the saga. */
  as: string
  /** The saga document: YAML or JSON text, or already parsed. */
  document: unknown
}

/** Grants to the coordinator outlive the deadline by this much (in flight invocations finish). */
const DELEGATION_MARGIN_S = 60

export async function prepareSaga (
  c: Pick<Components, 'clock' | 'agents' | 'audit'>,
  book: DelegationBook,
  coordinator: AgentRecord,
  input: SagaSubmission
): Promise<Result<SagaRecord>> {
  const doc = typeof input.document === 'string' ? parseSagaDocument(input.document) : validateSagaDocument(input.document)
  if (!doc.ok) return doc
  const invoker = await c.agents.get(input.as)
  if (invoker == null) return fail('UNKNOWN_AGENT', `no local agent ${input.as}`)
  if (invoker.did === coordinator.did) return fail('INVALID_SAGA', 'the coordinator cannot run a saga as itself')
  const now = c.clock.now()
  const nowS = Math.floor(now / 1000)
  const deadline = now + doc.value.deadlineSeconds * 1000
  // every step's authority first: a step the agent cannot do is refused before anything is issued
  const proofs = []
  for (const [i, s] of doc.value.steps.entries()) {
    const p = book.grantsFor(invoker.did, s.resource, s.ability, nowS)[0]
    if (p == null) return fail('NO_DELEGATION', `step ${i + 1} (${s.id}): ${invoker.name} holds no delegation for ${s.ability} on ${s.resource}`)
    proofs.push(p)
  }
  const id = `saga-${randomBytes(10).toString('hex')}`
  const audited = await c.audit.record({
    kind: 'saga', subject: id, reason: 'SUBMITTED',
    details: { saga: id, event: 'submitted', invoker: invoker.did, coordinator: coordinator.did, steps: doc.value.steps.map(s => ({ id: s.id, to: s.to, ability: s.ability, resource: s.resource, undo: s.compensate.ability })) }
  })
  if (!audited.ok) return audited
  const signer = await c.agents.signer(invoker.name)
  const delegations: Record<string, string> = {}
  for (const [i, s] of doc.value.steps.entries()) {
    const proof = proofs[i]
    const pd = decodeDelegation(proof.rec.jwt)
    if (!pd.ok) return pd
    const exp = Math.min(Math.floor(deadline / 1000) + DELEGATION_MARGIN_S, pd.value.expiration ?? Number.MAX_SAFE_INTEGER)
    const d = await issueDelegation(signer, {
      audience: coordinator.did, capabilities: { [s.resource]: { [s.ability]: proof.capability.caveats } },
      notBefore: Math.max(nowS - 1, pd.value.notBefore ?? 0), expiration: exp, nonce: randomBytes(8).toString('base64url'), proofs: [proof.rec.jwt]
    })
    await book.add(d.jwt, now)
    delegations[s.id] = d.cid
  }
  return ok({
    id, ...(doc.value.name != null ? { name: doc.value.name } : {}), invoker: invoker.did, invokerName: invoker.name, coordinator: coordinator.did,
    state: 'running', createdAt: now, updatedAt: now, deadline, document: doc.value, delegations,
    steps: doc.value.steps.map((s, index) => ({ index, id: s.id, state: 'pending' as const })),
    timeline: [{ at: now, hop: 'saga', kind: 'state', outcome: 'running', code: 'SUBMITTED', reason: `${doc.value.steps.length} steps as ${invoker.name}` }]
  })
}
