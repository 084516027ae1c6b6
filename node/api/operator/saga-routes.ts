/**
 * Operator routes for sagas: run one as a local agent (`--as`), list, show (the timeline with each
 * hop's outcome and reason code), cancel. The node never holds the agent's key: the operator who runs
 * a saga as an agent holds that agent's key, gets the plan (`POST /v1/sagas/plan`), signs one
 * delegation a step to the coordinator (the CLI does), and submits them with the document.
 */
import { ControlRouteError } from '../errors.js'
import type { Components } from '../../components.js'
import type { SagasService } from '../../services/sagas/sagas-service.js'
import type { SagaRecord } from '../../../sagas/index.js'

/** HTTP status of each saga error code (400 for the rest). */
export const SAGA_ERROR_STATUS: Record<string, number> = { UNKNOWN_SAGA: 404, UNKNOWN_AGENT: 404, NOT_ISSUER: 403, BAD_SIGNATURE: 403, WRONG_AUDIENCE: 403, ESCALATION: 403, NO_DELEGATION: 403, SAGA_FINISHED: 409, NOT_STARTED: 503 }

/** A saga as listed: no invocations or receipts, just where it stands. */
export function sagaSummary (r: SagaRecord): Record<string, unknown> {
  return {
    id: r.id, name: r.name ?? null, state: r.state, invoker: r.invokerName, createdAt: r.createdAt, updatedAt: r.updatedAt, deadline: r.deadline,
    steps: r.steps.map(s => ({ id: s.id, state: s.state, ...(s.result != null ? { code: s.result.code } : {}) })),
    ...(r.failure != null ? { failure: r.failure } : {}), ...(r.cancelRequested === true ? { cancelRequested: true } : {})
  }
}

/** A saga as shown: its steps with their task ids and outcomes, and the timeline. */
export function sagaDetail (r: SagaRecord): Record<string, unknown> {
  return {
    ...sagaSummary(r), coordinator: r.coordinator, invokerDid: r.invoker,
    steps: r.steps.map(s => {
      const spec = r.document.steps[s.index]
      return {
        id: s.id, state: s.state, to: spec.to, ability: spec.ability, resource: spec.resource, undo: `${spec.compensate.ability} on ${spec.compensate.resource}`,
        ...(s.undo != null ? { undoGrant: s.undo } : {}), ...(s.task != null ? { task: s.task.taskId } : {}), ...(s.result != null ? { outcome: s.result.outcome, code: s.result.code, reason: s.result.reason, output: s.result.output } : {}),
        ...(s.compensation != null ? { compensation: { attempts: s.compensation.attempts, ...(s.compensation.result != null ? { outcome: s.compensation.result.outcome, code: s.compensation.result.code } : {}) } } : {})
      }
    }),
    timeline: r.timeline
  }
}

export function sagaRoutes (ctx: Pick<Components, 'control'>, s: SagasService): void {
  const bad = (code: string, message: string): never => { throw new ControlRouteError(code, message, SAGA_ERROR_STATUS[code] ?? 400) }

  const body = (req: { body?: unknown }): { as: string, document: unknown, delegations?: Record<string, string> } => {
    const b = (req.body ?? {}) as Record<string, unknown>
    if (typeof b.as !== 'string' || b.as === '') bad('BAD_REQUEST', 'as is required (the local agent that runs the saga)')
    if (b.document == null) bad('BAD_REQUEST', 'document is required (YAML or JSON text, or an object)')
    const d = b.delegations
    if (d != null && (typeof d !== 'object' || Array.isArray(d) || Object.values(d).some(v => typeof v !== 'string'))) bad('BAD_REQUEST', 'delegations must map step ids to delegation JWTs')
    return { as: b.as as string, document: b.document, ...(d != null ? { delegations: d as Record<string, string> } : {}) }
  }

  ctx.control.route('POST', '/v1/sagas/plan', async (req) => {
    const { as, document } = body(req)
    const r = await s.plan({ as, document })
    if (!r.ok) return bad(r.error.code, r.error.message)
    return r.value
  })

  ctx.control.route('POST', '/v1/sagas', async (req) => {
    const r = await s.submit(body(req))
    if (!r.ok) return bad(r.error.code, r.error.message)
    return sagaDetail(r.value)
  })

  ctx.control.route('GET', '/v1/sagas', async () => s.list().map(sagaSummary))

  ctx.control.route('GET', '/v1/sagas/:id', async (req) => {
    const r = s.get(req.params.id ?? '')
    if (r == null) return bad('UNKNOWN_SAGA', `no saga ${String(req.params.id)} on this node`)
    return sagaDetail(r)
  })

  ctx.control.route('POST', '/v1/sagas/:id/cancel', async (req) => {
    const r = await s.cancel(req.params.id ?? '')
    if (!r.ok) return bad(r.error.code, r.error.message)
    return sagaSummary(r.value)
  })
}
