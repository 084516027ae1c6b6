/**
 * `agent.sagas` in the SDK: the agent runs a saga as itself (DESIGN.md section 13). `run` asks its node
 * for the plan, signs one delegation a step to the node's coordinator with the agent's own key, submits
 * them with the document and, unless `wait: false`, follows the saga until it is completed,
 * compensated or stuck. `show`, `list` and `cancel` see only this agent's sagas.
 */
import type { Signer } from '../identity/signer.js'
import { TERMINAL_SAGA_VIEW_STATES, type SagaPlan, type SagaView } from '../protocols/control/saga.js'
import type { ControlClient, RequestOptions } from './control-client.js'
import { signSagaGrants } from './saga-grants.js'

export const DEFAULT_SAGA_WAIT_MS = 600_000
const FOLLOW_EVERY_MS = 200

export interface SagaRunOptions extends RequestOptions {
  /** Follow the saga until it ends (default true); false returns it as submitted. */
  wait?: boolean
  /** How long to follow it (default 10 minutes); then the saga as it stands is returned. */
  waitMs?: number
}

export interface AgentSagas {
  /** Run a saga document (YAML or JSON text, or an object) as this agent. */
  run: (document: string | object, options?: SagaRunOptions) => Promise<SagaView>
  show: (id: string, options?: RequestOptions) => Promise<SagaView>
  list: (options?: RequestOptions) => Promise<SagaView[]>
  /** No further step starts; the completed ones are undone. */
  cancel: (id: string, options?: RequestOptions) => Promise<SagaView>
}

export function agentSagas (request: ControlClient['request'], signer: Signer): AgentSagas {
  const show = async (id: string, o: RequestOptions = {}): Promise<SagaView> => await request<SagaView>('GET', `/v1/agent/sagas/${encodeURIComponent(id)}`, undefined, o)
  return {
    async run (document, o = {}) {
      const plan = await request<SagaPlan>('POST', '/v1/agent/sagas/plan', { document }, o)
      if (plan.invoker !== signer.did) throw Object.assign(new Error(`the node planned this saga for ${plan.invoker}, not this agent (${signer.did})`), { code: 'WRONG_KEY' })
      const delegations = await signSagaGrants(signer, plan)
      let s = await request<SagaView>('POST', '/v1/agent/sagas', { document, delegations }, o)
      if (o.wait === false) return s
      const until = Date.now() + (o.waitMs ?? DEFAULT_SAGA_WAIT_MS)
      while (!TERMINAL_SAGA_VIEW_STATES.includes(s.state) && Date.now() < until && o.signal?.aborted !== true) {
        await new Promise(resolve => setTimeout(resolve, FOLLOW_EVERY_MS))
        s = await show(s.id, o)
      }
      return s
    },
    show,
    async list (o = {}) { return await request<SagaView[]>('GET', '/v1/agent/sagas', undefined, o) },
    async cancel (id, o = {}) { return await request<SagaView>('POST', `/v1/agent/sagas/${encodeURIComponent(id)}/cancel`, undefined, o) }
  }
}
