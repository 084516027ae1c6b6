/**
 * Node settings, read once when the node is built: from the config the caller gives, else from the
 * environment, else defaults. Services receive the values; none of them reads `process.env`.
 *
 * | setting             | environment                      | default        |
 * |---------------------|----------------------------------|----------------|
 * | spiffeSocket        | SPIFFE_ENDPOINT_SOCKET           | off            |
 * | auditIntervalMs     | TRUSTMESH_AUDIT_INTERVAL_MS      | 30000          |
 * | approvalDeadlineMs  | TRUSTMESH_APPROVAL_DEADLINE (s)  | 3600 s         |
 * | trust               | TRUSTMESH_TRUST_INTERVAL_MS, TRUSTMESH_TRUST_THRESHOLD, TRUSTMESH_TRUST_TTL_S |
 * | sagas               | TRUSTMESH_SAGA_COMPENSATION_GRACE_MS, TRUSTMESH_SAGA_RETRY_MAX_MS | 60000, 10000 |
 */
import { AUDIT_CHECKPOINT_INTERVAL_MS } from './services/audit/audit-node-service.js'
import { DEFAULT_APPROVAL_DEADLINE_MS } from './services/approvals/approvals-service.js'
import { trustSettingsFromEnv, type TrustSettings } from './services/trust/trust-settings.js'
import { DEFAULT_SAGA_SETTINGS } from './services/sagas/sagas-service.js'
import type { CoordinatorSettings } from './services/sagas/saga-coordinator.js'

export interface NodeSettings {
  spiffeSocket?: string
  auditIntervalMs: number
  approvalDeadlineMs: number
  approvalExpiryCheckMs?: number
  trust: TrustSettings
  taskTimeoutMs?: number
  sagas: CoordinatorSettings
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError'
  readonly code = 'INVALID_CONFIG'
}

function numberFrom (env: NodeJS.ProcessEnv, name: string, min: number, scale = 1): number | undefined {
  const raw = env[name]
  if (raw == null || raw.trim() === '') return undefined
  const v = Number(raw)
  if (!Number.isFinite(v) || v < min) throw new SettingsError(`${name} must be a number of at least ${min}, got ${JSON.stringify(raw)}`)
  return Math.round(v * scale)
}

export function resolveSettings (given: Partial<NodeSettings> = {}, env: NodeJS.ProcessEnv = process.env): NodeSettings {
  const spiffeSocket = given.spiffeSocket ?? env.SPIFFE_ENDPOINT_SOCKET
  return {
    ...(spiffeSocket != null && spiffeSocket !== '' ? { spiffeSocket } : {}),
    auditIntervalMs: given.auditIntervalMs ?? numberFrom(env, 'TRUSTMESH_AUDIT_INTERVAL_MS', 100) ?? AUDIT_CHECKPOINT_INTERVAL_MS,
    approvalDeadlineMs: given.approvalDeadlineMs ?? numberFrom(env, 'TRUSTMESH_APPROVAL_DEADLINE', 0.001, 1000) ?? DEFAULT_APPROVAL_DEADLINE_MS,
    ...(given.approvalExpiryCheckMs != null ? { approvalExpiryCheckMs: given.approvalExpiryCheckMs } : {}),
    trust: given.trust ?? trustSettingsFromEnv(env),
    ...(given.taskTimeoutMs != null ? { taskTimeoutMs: given.taskTimeoutMs } : {}),
    sagas: given.sagas ?? {
      ...DEFAULT_SAGA_SETTINGS,
      compensationGraceMs: numberFrom(env, 'TRUSTMESH_SAGA_COMPENSATION_GRACE_MS', 0) ?? DEFAULT_SAGA_SETTINGS.compensationGraceMs,
      retryMaxMs: numberFrom(env, 'TRUSTMESH_SAGA_RETRY_MAX_MS', 10) ?? DEFAULT_SAGA_SETTINGS.retryMaxMs
    }
  }
}
