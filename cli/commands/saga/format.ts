/** The shared printer of saga commands: a saga's steps and its timeline as tables. */
import { fields, table } from '../../output.js'
import { TERMINAL_SAGA_VIEW_STATES, type SagaView } from '../../../protocols/control/saga.js'

export type { SagaView }
export const TERMINAL = TERMINAL_SAGA_VIEW_STATES

export function formatSaga (s: SagaView): string {
  const head = fields([
    ['saga', s.id], ['name', s.name ?? '-'], ['state', s.state], ['as', s.invoker], ['deadline', new Date(s.deadline).toISOString()],
    ...(s.failure != null ? [['failed at', `${s.failure.step}: ${s.failure.code} (${s.failure.reason})`]] as Array<[string, unknown]> : [])
  ])
  const steps = table(['step', 'state', 'ability', 'outcome', 'code', 'undo'], s.steps.map(st => [
    st.id, st.state, st.ability ?? '', st.outcome ?? '', st.code ?? '',
    st.compensation != null ? `${st.compensation.outcome ?? 'pending'} ${st.compensation.code ?? ''} (${st.compensation.attempts} attempt${st.compensation.attempts === 1 ? '' : 's'})` : ''
  ]))
  const timeline = s.timeline == null
    ? ''
    : '\n\n' + table(['time', 'hop', 'event', 'outcome', 'code', 'reason'], s.timeline.map(e => [new Date(e.at).toISOString(), e.hop, e.kind, e.outcome, e.code, e.reason ?? '']))
  return `${head}\n\n${steps}${timeline}`
}
