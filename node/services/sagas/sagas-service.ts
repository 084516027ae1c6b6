/**
 * Sagas across organisations (DESIGN.md section 13) as a node service: submission, the coordinator of
 * each saga this node runs (resumed from the store at start), cancel, and the executing side's undo
 * grants over `/trustmesh/saga/1.0.0`. The coordinator acts as this node's saga service principal:
 * the node's OWN coordinator identity (its key is `sagaSigner`, the node key store's `saga` key, like
 * the org and node keys), never an agent's key: agents hold theirs. The org registers it with an
 * AgentCredential (countersigned with that key) so chains through it check at every hop; its only
 * authority is what agents delegate to it for a saga and what executing sides grant it for undo.
 */
import { randomBytes } from 'node:crypto'
import { decodeDelegation, listCapabilities, capabilityWithin, issueInvocation } from '../../../identity/ucan/index.js'
import { issueAcceptance } from '../../../identity/agent-acceptance.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import { SAGA_MAX_INBOUND_STREAMS, SAGA_PROTOCOL, createSagaHandler, requestUndoGrant, type UndoGrantReply, type UndoGrantRequest } from '../../../protocols/saga/index.js'
import { isTerminal, type SagaRecord, type StepRecord } from '../../../sagas/index.js'
import type { Components, Service } from '../../components.js'
import { SUBLEVELS as Sublevel } from '../../store/sublevels.js'
import type { AgentRecord } from '../agents/agent-registry.js'
import type { DelegationParts } from '../delegation/delegation-service.js'
import { checkDeliveredChain } from '../delegation/delegation-exchange.js'
import type { TaskSender } from '../tasks/task-sender.js'
import type { TaskStatusService } from '../approvals/task-status.js'
import { HopOutcomes } from './hop-outcome.js'
import { SagaCoordinator, type CoordinatorSettings, type HopInput } from './saga-coordinator.js'
import { SagaStore } from './saga-store.js'
import { planSaga, prepareSaga, type SagaPlan, type SagaSubmission } from './saga-submission.js'
import type { PreparedTask } from '../tasks/task-sender.js'
import { UndoGranter } from './undo-granter.js'

export const SAGAS_DEPENDENCIES = ['clock', 'logger', 'identity', 'orgSigner', 'sagaSigner', 'store', 'agents', 'policy', 'enrolments', 'audit', 'trust', 'mesh', 'libp2p'] as const
export type SagasComponents = Pick<Components, typeof SAGAS_DEPENDENCIES[number]>

/** The service principal every node coordinates sagas (and grants undo) as; its key is the node's `saga` key. */
export const SAGA_AGENT_NAME = 'saga-coordinator'
const SAGA_AGENT_RING = 2
/** The service principal's credential is renewed (and re-accepted) when less than this is left. */
const SAGA_RENEW_BEFORE_MS = 24 * 3600_000

export const DEFAULT_SAGA_SETTINGS: CoordinatorSettings = { compensationGraceMs: 60_000, retryBaseMs: 200, retryMaxMs: 10_000 }

export class SagaError extends Error {
  override readonly name = 'SagaError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

/** What the operator API, the agent API and metrics use. */
export interface SagasService extends Service {
  /** What the invoking agent must sign: a delegation to the coordinator for each step (checked again at submit). */
  plan: (input: Pick<SagaSubmission, 'as' | 'document'>) => Promise<Result<SagaPlan>>
  submit: (input: SagaSubmission) => Promise<Result<SagaRecord>>
  get: (id: string) => SagaRecord | undefined
  list: () => SagaRecord[]
  cancel: (id: string) => Promise<Result<SagaRecord>>
  /** Sagas that wait for an operator (for `doctor`). */
  stuck: () => SagaRecord[]
  /** Sagas by state (metrics). */
  byState: () => Record<string, number>
}

export interface SagasParts {
  delegation: Pick<DelegationParts, 'book' | 'principals'>
  sender: Pick<TaskSender, 'plan' | 'prepare' | 'deliver' | 'orgOfAgent'>
  taskStatus: Pick<TaskStatusService, 'statusFor'>
}

export function createSagasService (c: SagasComponents, parts: SagasParts, settings: CoordinatorSettings = DEFAULT_SAGA_SETTINGS): SagasService {
  const store = new SagaStore(c.store.repository<SagaRecord>(Sublevel.sagas))
  const { book, principals } = parts.delegation
  let stopper = new AbortController()
  const running = new Map<string, Promise<void>>()
  let started = false

  let agentP: Promise<AgentRecord> | undefined
  const sagaAgent = async (): Promise<AgentRecord> => {
    agentP ??= (async () => {
      // the node's own service principal: its DID is the node's saga key, registered with an AgentCredential
      const key = c.sagaSigner
      let a = await c.agents.get(SAGA_AGENT_NAME) ?? await c.agents.create({ name: SAGA_AGENT_NAME, did: key.did, ring: SAGA_AGENT_RING, capabilities: ['saga/coordinate'] })
      if (a.did !== key.did) throw new SagaError('SAGA_KEY_MISMATCH', `the local principal ${SAGA_AGENT_NAME} is ${a.did}, not this node's saga key ${key.did}`)
      if (a.expiresAt - c.clock.now() < SAGA_RENEW_BEFORE_MS) a = await c.agents.renew(a.name)
      // countersigned with the node's saga key (the acceptance an agent gives its own credential)
      if (a.acceptance == null) a = await c.agents.accept(a.name, await issueAcceptance(key, a.credential, c.identity.orgDid, Math.floor(c.clock.now() / 1000)))
      const p = await principals.add(a.credential, { ...(a.acceptance != null ? { acceptance: a.acceptance } : {}) })
      if (!p.ok) throw new SagaError(p.error.code, `the saga agent's credential: ${p.error.message}`)
      return a
    })()
    agentP.catch(() => { agentP = undefined })
    const a = await agentP
    if (a.expiresAt - c.clock.now() < SAGA_RENEW_BEFORE_MS || a.acceptance == null) { agentP = undefined; return await sagaAgent() }
    return a
  }

  const sleep = async (ms: number): Promise<boolean> => {
    const signal = stopper.signal
    if (signal.aborted) return false
    return await new Promise<boolean>(resolve => {
      const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true) }, Math.max(0, ms))
      const onAbort = (): void => { clearTimeout(t); resolve(false) }
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  const granter = new UndoGranter(c, { book, principals, sagaAgent })

  /** Ask the executing side for a step's undo, and keep what it granted (checked) in the book. */
  const requestUndo = async (rec: SagaRecord, step: StepRecord, signal: AbortSignal): Promise<Result<string>> => {
    const spec = rec.document.steps[step.index]
    const agent = await sagaAgent()
    const org = await parts.sender.orgOfAgent(spec.to, { signal })
    if (!org.ok) return org
    const req: UndoGrantRequest = {
      v: 1, saga: rec.id, step: `${rec.id}/${step.id}`, coordinator: agent.did, credential: agent.credential, ...(agent.acceptance != null ? { acceptance: agent.acceptance } : {}), executor: spec.to,
      ability: spec.compensate.ability, resource: spec.compensate.resource, expiresAt: Math.floor((rec.deadline + settings.compensationGraceMs) / 1000) + 60
    }
    let reply: UndoGrantReply
    try {
      if (org.value === c.identity.orgDid) {
        reply = await granter.grant(req, org.value)
      } else {
        const conn = await c.mesh.connectionToOrg(org.value, { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) })
        reply = await requestUndoGrant(conn, req, { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) })
      }
    } catch (err) {
      return fail((err as { code?: string }).code ?? 'PEER_UNREACHABLE', `cannot ask ${org.value} for the undo of ${step.id}: ${(err as Error).message}`)
    }
    if (!reply.ok || reply.delegation == null) return fail(reply.code ?? 'UNDO_REFUSED', reply.message ?? 'the executing side refused the undo')
    const chain = checkDeliveredChain({ v: 1, delegation: reply.delegation, proofs: reply.proofs ?? {}, credentials: reply.credentials ?? {} })
    if (!chain.ok) return fail('BAD_UNDO_GRANT', `the undo grant for ${step.id} does not verify: ${chain.error.message}`)
    const d = decodeDelegation(reply.delegation)
    if (!d.ok || d.value.audience !== agent.did) return fail('BAD_UNDO_GRANT', `the undo grant for ${step.id} is not addressed to the coordinator`)
    const wanted = { resource: spec.compensate.resource, ability: spec.compensate.ability, caveats: [{}] }
    if (!listCapabilities(d.value.capabilities).some(cap => capabilityWithin({ ...wanted, caveats: cap.caveats }, cap))) return fail('BAD_UNDO_GRANT', `the undo grant for ${step.id} does not cover ${spec.compensate.ability} on ${spec.compensate.resource}`)
    for (const jwt of Object.values(reply.credentials ?? {})) await principals.add(jwt, { org: org.value })
    const now = c.clock.now()
    for (const jwt of Object.values(reply.proofs ?? {})) await book.add(jwt, now)
    await book.add(reply.delegation, now)
    return ok(chain.value)
  }

  const hops = new HopOutcomes({
    c, sender: parts.sender, sleep,
    localStatus: async (taskId, askingOrg) => await parts.taskStatus.statusFor(taskId, askingOrg)
  })
  /**
   * One invocation by the coordinator: planned under the delegation it holds (the agent's, or an undo
   * grant), signed with the node's own saga service key (never an agent's), then the outbound steps.
   */
  const prepareHop = async (input: HopInput): Promise<Result<PreparedTask>> => {
    const agent = await sagaAgent()
    const plan = await parts.sender.plan({ as: agent.name, to: input.to, ability: input.ability, resource: input.resource, ...(input.proof != null ? { proof: input.proof } : {}) })
    if (!plan.ok) return plan
    const inv = await issueInvocation(c.sagaSigner, {
      audience: plan.value.audience, resource: plan.value.resource, ability: plan.value.ability, caveats: plan.value.caveats, proof: plan.value.proof.jwt,
      nonce: randomBytes(16).toString('base64url'), notBefore: plan.value.notBefore, expiration: plan.value.expiration
    })
    return await parts.sender.prepare({ as: agent.name, invocation: inv.jwt, ...(input.args !== undefined ? { args: input.args } : {}), ...(input.timeoutMs != null ? { timeoutMs: input.timeoutMs } : {}) })
  }
  const coordinator = (): SagaCoordinator => new SagaCoordinator({
    c, store, sender: parts.sender, prepare: prepareHop, hops, requestUndo, sleep, signal: stopper.signal, settings
  })

  const byState = (): Record<string, number> => {
    const by: Record<string, number> = {}
    for (const r of store.list()) by[r.state] = (by[r.state] ?? 0) + 1
    return by
  }

  const drive = (rec: SagaRecord): void => {
    if (running.has(rec.id) || isTerminal(rec.state)) return
    const p = coordinator().drive(rec)
      .catch(err => { c.logger.error('saga coordinator failed; it resumes at the next start', { saga: rec.id, error: (err as Error).message }) })
      .finally(() => { running.delete(rec.id) })
    running.set(rec.id, p)
  }

  return {
    name: 'sagas',
    dependencies: SAGAS_DEPENDENCIES,
    async submit (input) {
      if (!started) return fail('NOT_STARTED', 'the sagas service is not started')
      const agent = await sagaAgent()
      const rec = await prepareSaga(c, book, agent, input)
      if (!rec.ok) return rec
      await store.save(rec.value, c.clock.now())
      c.logger.info('saga submitted', { saga: rec.value.id, steps: rec.value.steps.length, invoker: rec.value.invokerName })
      drive(rec.value)
      return ok(rec.value)
    },
    async plan (input) {
      if (!started) return fail('NOT_STARTED', 'the sagas service is not started')
      return await planSaga(c, book, await sagaAgent(), input)
    },
    get: (id) => store.get(id),
    list: () => store.list(),
    stuck: () => store.list().filter(r => r.state === 'stuck'),
    async cancel (id) {
      const rec = store.get(id)
      if (rec == null) return fail('UNKNOWN_SAGA', `no saga ${id} on this node`)
      if (isTerminal(rec.state)) return fail('SAGA_FINISHED', `saga ${id} is already ${rec.state}`)
      if (rec.state === 'compensating' || rec.cancelRequested === true) return ok(rec)
      rec.cancelRequested = true
      const a = await c.audit.record({ kind: 'saga', subject: id, reason: 'CANCELLED', details: { saga: id, event: 'cancel' } })
      if (!a.ok) return a
      rec.timeline.push({ at: c.clock.now(), hop: 'saga', kind: 'cancel', outcome: 'requested', code: 'CANCELLED', reason: 'the operator cancelled; completed steps are compensated' })
      await store.save(rec, c.clock.now())
      return ok(rec)
    },
    byState,
    status: byState,
    async start () {
      if (started) return
      started = true
      stopper = new AbortController()
      await store.load()
      await c.mesh.handle(SAGA_PROTOCOL, createSagaHandler({
        grantUndo: async (req, fromOrg) => await granter.grant(req, fromOrg),
        verifiedOrgOf: conn => c.mesh.verifiedPeer(conn.id)?.orgDid
      }), { maxInboundStreams: SAGA_MAX_INBOUND_STREAMS })
      // a coordinator that was stopped or killed picks up every saga it had not finished
      const open = store.list().filter(r => !isTerminal(r.state))
      if (open.length > 0) {
        await sagaAgent()
        for (const r of open) {
          r.timeline.push({ at: c.clock.now(), hop: 'saga', kind: 'resume', outcome: r.state, code: 'RESUMED', reason: 'the coordinator restarted; outcomes of sent hops are asked for' })
          await store.save(r, c.clock.now())
          drive(r)
        }
        c.logger.info('sagas resumed', { count: open.length })
      }
    },
    async stop () {
      if (!started) return
      started = false
      stopper.abort()
      await Promise.allSettled([...running.values()])
      await c.libp2p.unhandle(SAGA_PROTOCOL).catch(() => undefined)
    }
  }
}
