/**
 * Agent API routes that act: send a task, grant a delegation, revoke one. In each the agent signs
 * what takes effect (invocation, delegation, revocation record) with its own key; the `plan` routes
 * tell it what to sign (the proof it holds, caveats, time window). The node checks that what arrives
 * is by the authenticated agent and within what it holds, then adds proofs and credentials and forwards.
 */
import { ControlRouteError } from '../errors.js'
import type { ControlServer } from '../control-server.js'
import type { Result } from '../../../identity/result.js'
import type { DelegationGrants } from '../../services/delegation/delegation-grants.js'
import type { TaskSender } from '../../services/tasks/task-sender.js'
import type { DelegationService } from '../../services/delegation/delegation-service.js'
import { callerOf } from './agent-auth.js'

const STATUS: Record<string, number> = { UNKNOWN_AGENT: 404, UNKNOWN_DELEGATION: 404, AUDIT_UNAVAILABLE: 503, NOT_INVOKER: 403, NOT_ISSUER: 403, NOT_HOLDER: 403, REVOCATION_UNAUTHORISED: 403, CREDENTIAL_EXPIRED: 403 }

function valueOf<T> (r: Result<T>): T {
  if (r.ok) return r.value
  throw new ControlRouteError(r.error.code, r.error.message, STATUS[r.error.code] ?? 400)
}

function str (b: Record<string, unknown>, k: string): string {
  const v = b[k]
  if (typeof v !== 'string' || v === '') throw new ControlRouteError('BAD_REQUEST', `${k} is required`, 400)
  return v
}

/** `--nb key=value` caveats: numbers for maxAmount/minTrust/maxRing, strings for policy. */
function caveatsFrom (nb: unknown): Record<string, number | string> | undefined {
  if (nb == null) return undefined
  if (typeof nb !== 'object' || Array.isArray(nb)) throw new ControlRouteError('BAD_REQUEST', 'caveats must be an object')
  const out: Record<string, number | string> = {}
  for (const [k, v] of Object.entries(nb as Record<string, unknown>)) {
    if (k === 'policy') {
      if (typeof v !== 'string') throw new ControlRouteError('INVALID_CAVEAT', 'policy caveat must be a digest string')
      out[k] = v
    } else if (k === 'maxAmount' || k === 'minTrust' || k === 'maxRing') {
      const n = typeof v === 'string' ? Number(v) : v
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new ControlRouteError('INVALID_CAVEAT', `${k} must be a number`)
      out[k] = n
    } else {
      throw new ControlRouteError('UNKNOWN_CAVEAT', `unknown caveat ${k} (known: maxAmount, minTrust, maxRing, policy)`)
    }
  }
  return out
}

export interface AgentActServices {
  grants: DelegationGrants
  sender: Pick<TaskSender, 'plan' | 'send'>
  submitRevocation: DelegationService['submitRevocation']
}

export function agentActRoutes (server: ControlServer, s: AgentActServices): void {
  server.route('POST', '/v1/agent/tasks/plan', async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    return valueOf(await s.sender.plan({ as: callerOf(req), to: str(b, 'to'), ability: str(b, 'ability'), resource: str(b, 'resource'), ...(typeof b.proof === 'string' ? { proof: b.proof } : {}) }))
  })

  server.route('POST', '/v1/agent/tasks', async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    const timeoutMs = typeof b.timeoutMs === 'number' && b.timeoutMs > 0 ? Math.min(b.timeoutMs, 300_000) : undefined
    return valueOf(await s.sender.send({ as: callerOf(req), invocation: str(b, 'invocation'), args: b.args, ...(timeoutMs != null ? { timeoutMs } : {}) }, { signal: req.signal }))
  })

  server.route('POST', '/v1/agent/delegations/plan', async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    const caveats = caveatsFrom(b.caveats)
    return valueOf(await s.grants.plan({
      from: callerOf(req), to: str(b, 'to'), ability: str(b, 'ability'), resource: str(b, 'resource'),
      ...(typeof b.ttlSeconds === 'number' ? { ttlSeconds: b.ttlSeconds } : {}), ...(caveats != null ? { caveats } : {})
    }))
  })

  server.route('POST', '/v1/agent/delegations', async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    return valueOf(await s.grants.submit(callerOf(req), str(b, 'delegation'), { signal: req.signal }))
  })

  server.route('POST', '/v1/agent/revocations', async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    return valueOf(await s.submitRevocation(callerOf(req), str(b, 'revocation')))
  })
}
