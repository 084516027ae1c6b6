/**
 * Sagas on the agent API (`/v1/agent/sagas`): an agent runs a saga as itself and sees and cancels
 * only its own. It gets the plan, signs one delegation a step to the node's coordinator with its own
 * key (client/saga-grants.ts), and submits them with the document; the node checks each, as for the
 * operator's `saga run --as` (node/services/sagas/saga-submission.ts). Another agent's saga is
 * UNKNOWN_SAGA, as one that does not exist.
 */
import type { ControlRequest, ControlServer } from '../control-server.js'
import { ControlRouteError } from '../errors.js'
import type { SagasService } from '../../services/sagas/sagas-service.js'
import type { SagaRecord } from '../../../sagas/index.js'
import { SAGA_ERROR_STATUS, sagaDetail, sagaSummary } from '../operator/saga-routes.js'
import { callerOf } from './agent-auth.js'

export type AgentSagas = Pick<SagasService, 'plan' | 'submit' | 'get' | 'list' | 'cancel'>

const bad = (code: string, message: string): never => { throw new ControlRouteError(code, message, SAGA_ERROR_STATUS[code] ?? 400) }

function documentOf (req: ControlRequest): { document: unknown, delegations?: Record<string, string> } {
  const b = (req.body ?? {}) as Record<string, unknown>
  if (b.as !== undefined) bad('BAD_REQUEST', 'an agent runs a saga as itself: no "as"')
  if (b.document == null) bad('BAD_REQUEST', 'document is required (YAML or JSON text, or an object)')
  const d = b.delegations
  if (d != null && (typeof d !== 'object' || Array.isArray(d) || Object.values(d).some(v => typeof v !== 'string'))) bad('BAD_REQUEST', 'delegations must map step ids to delegation JWTs')
  return { document: b.document, ...(d != null ? { delegations: d as Record<string, string> } : {}) }
}

export function agentSagaRoutes (server: ControlServer, sagas: AgentSagas): void {
  /** The caller's own saga, else UNKNOWN_SAGA (nothing about another agent's saga leaks). */
  const own = (req: ControlRequest): SagaRecord => {
    const r = sagas.get(req.params.id ?? '')
    if (r == null || r.invoker !== callerOf(req)) return bad('UNKNOWN_SAGA', `no saga ${String(req.params.id).slice(0, 80)} of this agent`)
    return r
  }

  server.route('POST', '/v1/agent/sagas/plan', async (req) => {
    const r = await sagas.plan({ as: callerOf(req), document: documentOf(req).document })
    if (!r.ok) return bad(r.error.code, r.error.message)
    return r.value
  })

  server.route('POST', '/v1/agent/sagas', async (req) => {
    const r = await sagas.submit({ as: callerOf(req), ...documentOf(req) })
    if (!r.ok) return bad(r.error.code, r.error.message)
    return sagaDetail(r.value)
  })

  server.route('GET', '/v1/agent/sagas', async (req) => {
    const me = callerOf(req)
    return sagas.list().filter(r => r.invoker === me).map(sagaSummary)
  })

  server.route('GET', '/v1/agent/sagas/:id', async (req) => sagaDetail(own(req)))

  server.route('POST', '/v1/agent/sagas/:id/cancel', async (req) => {
    const r = await sagas.cancel(own(req).id)
    if (!r.ok) return bad(r.error.code, r.error.message)
    return sagaSummary(r.value)
  })
}
