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
 * | credentials.ttlSeconds         | TRUSTMESH_NODE_CREDENTIAL_TTL_S      | 30 days |
 * | credentials.renewBeforeSeconds | TRUSTMESH_CREDENTIAL_RENEW_BEFORE_S  | 7 days (at most half the TTL) |
 * | credentials.checkIntervalMs    | TRUSTMESH_CREDENTIAL_CHECK_MS        | 1 hour  |
 */
import { AUDIT_CHECKPOINT_INTERVAL_MS } from './services/audit/audit-node-service.js'
import { DEFAULT_APPROVAL_DEADLINE_MS } from './services/approvals/approvals-service.js'
import { trustSettingsFromEnv, type TrustSettings } from './services/trust/trust-settings.js'
import { CREDENTIAL_CHECK_INTERVAL_MS, CREDENTIAL_RENEW_BEFORE_SECONDS, type CredentialRenewalOptions } from './services/credentials/node-credential-renewal.js'
import { NODE_CREDENTIAL_TTL_SECONDS } from './init-org.js'

export interface NodeSettings {
  spiffeSocket?: string
  auditIntervalMs: number
  approvalDeadlineMs: number
  approvalExpiryCheckMs?: number
  trust: TrustSettings
  taskTimeoutMs?: number
  credentials: CredentialRenewalOptions
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
    credentials: given.credentials ?? credentialSettings(env)
  }
}

function credentialSettings (env: NodeJS.ProcessEnv): CredentialRenewalOptions {
  const ttlSeconds = numberFrom(env, 'TRUSTMESH_NODE_CREDENTIAL_TTL_S', 10) ?? NODE_CREDENTIAL_TTL_SECONDS
  const renewBeforeSeconds = Math.min(numberFrom(env, 'TRUSTMESH_CREDENTIAL_RENEW_BEFORE_S', 1) ?? CREDENTIAL_RENEW_BEFORE_SECONDS, Math.floor(ttlSeconds / 2))
  return { ttlSeconds, renewBeforeSeconds, checkIntervalMs: numberFrom(env, 'TRUSTMESH_CREDENTIAL_CHECK_MS', 100) ?? CREDENTIAL_CHECK_INTERVAL_MS }
}
