/** Records an operator's decision in the audit log before it takes effect; an unwritable log refuses it (503). */
import { ControlRouteError } from '../errors.js'
import type { AuditRecorder, DecisionEvent } from '../../components.js'

export async function audited (audit: AuditRecorder, event: DecisionEvent): Promise<void> {
  const r = await audit.record(event)
  if (!r.ok) throw new ControlRouteError('AUDIT_UNAVAILABLE', `the audit log cannot be written; nothing is decided without it: ${r.error.message}`, 503)
}
