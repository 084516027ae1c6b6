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
 * | metricsListen       | TRUSTMESH_METRICS_LISTEN         | off (a bare port binds 127.0.0.1) |
 * | consoleListen       | TRUSTMESH_CONSOLE_LISTEN         | off (a bare port binds 127.0.0.1) |
 */
import { AUDIT_CHECKPOINT_INTERVAL_MS } from './services/audit/audit-node-service.js'
import { DEFAULT_APPROVAL_DEADLINE_MS } from './services/approvals/approvals-service.js'
import { trustSettingsFromEnv, type TrustSettings } from './services/trust/trust-settings.js'

export interface NodeSettings {
  spiffeSocket?: string
  auditIntervalMs: number
  approvalDeadlineMs: number
  approvalExpiryCheckMs?: number
  trust: TrustSettings
  taskTimeoutMs?: number
  /** Prometheus metrics and /healthz; off when absent. */
  metricsListen?: ListenAddress
  /** The approvers' web console; off when absent. */
  consoleListen?: ListenAddress
}

/** A TCP address for a local HTTP server; loopback unless the operator names another host. */
export interface ListenAddress { host: string, port: number }

/** `127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464` or a bare port (loopback). */
export function parseListenAddress (text: string, what: string): ListenAddress {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost):)?(\d{1,5})$/.exec(text.trim())
  const port = m == null ? NaN : Number(m[2])
  if (m == null || port > 65535) throw new SettingsError(`${what} must be host:port or a port (e.g. 127.0.0.1:9464), got ${JSON.stringify(text)}`)
  const host = m[1] == null ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, '')
  return { host, port }
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

/** Settings as callers give them: listen addresses may be text (`--metrics-listen 9464`). */
export type GivenSettings = Partial<Omit<NodeSettings, 'metricsListen' | 'consoleListen'>> & {
  metricsListen?: ListenAddress | string
  consoleListen?: ListenAddress | string
}

function listenFrom (given: ListenAddress | string | undefined, env: string | undefined, what: string): ListenAddress | undefined {
  if (given != null) return typeof given === 'string' ? parseListenAddress(given, what) : given
  return env != null && env.trim() !== '' ? parseListenAddress(env, what) : undefined
}

export function resolveSettings (given: GivenSettings = {}, env: NodeJS.ProcessEnv = process.env): NodeSettings {
  const metricsListen = listenFrom(given.metricsListen, env.TRUSTMESH_METRICS_LISTEN, 'metrics listen address')
  const consoleListen = listenFrom(given.consoleListen, env.TRUSTMESH_CONSOLE_LISTEN, 'console listen address')
  const spiffeSocket = given.spiffeSocket ?? env.SPIFFE_ENDPOINT_SOCKET
  return {
    ...(spiffeSocket != null && spiffeSocket !== '' ? { spiffeSocket } : {}),
    auditIntervalMs: given.auditIntervalMs ?? numberFrom(env, 'TRUSTMESH_AUDIT_INTERVAL_MS', 100) ?? AUDIT_CHECKPOINT_INTERVAL_MS,
    approvalDeadlineMs: given.approvalDeadlineMs ?? numberFrom(env, 'TRUSTMESH_APPROVAL_DEADLINE', 0.001, 1000) ?? DEFAULT_APPROVAL_DEADLINE_MS,
    ...(given.approvalExpiryCheckMs != null ? { approvalExpiryCheckMs: given.approvalExpiryCheckMs } : {}),
    trust: given.trust ?? trustSettingsFromEnv(env),
    ...(given.taskTimeoutMs != null ? { taskTimeoutMs: given.taskTimeoutMs } : {}),
    ...(metricsListen != null ? { metricsListen } : {}),
    ...(consoleListen != null ? { consoleListen } : {})
  }
}
