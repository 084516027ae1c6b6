/**
 * Node settings, read once when the node is built: from the config the caller gives, else from the
 * environment, else defaults. Services receive the values; none of them reads `process.env`.
 *
 * | setting             | environment                      | default        |
 * |---------------------|----------------------------------|----------------|
 * | spiffeSocket        | SPIFFE_ENDPOINT_SOCKET           | off            |
 * | auditIntervalMs     | TRUSTMESH_AUDIT_INTERVAL_MS      | 30000          |
 * | approvalDeadlineMs  | TRUSTMESH_APPROVAL_DEADLINE (s)  | 3600 s         |
 * | maxDelegationTtlSeconds | TRUSTMESH_MAX_DELEGATION_TTL (s) | 31622400 s (366 days) |
 * | trust               | TRUSTMESH_TRUST_INTERVAL_MS, TRUSTMESH_TRUST_THRESHOLD, TRUSTMESH_TRUST_TTL_S |
 * | sagas               | TRUSTMESH_SAGA_COMPENSATION_GRACE_MS, TRUSTMESH_SAGA_RETRY_MAX_MS | 60000, 10000 |
 * | gossipMaxPerPeer    | TRUSTMESH_GOSSIP_MAX_PER_PEER    | 2000 records a topic from one org   |
 * | gossipMaxPerIssuer  | TRUSTMESH_GOSSIP_MAX_PER_ISSUER  | 500 records a topic by one issuer   |
 * | agentSocketMode     | TRUSTMESH_AGENT_SOCKET_MODE (octal) | 660 (owner and group) |
 * | agentSocketGroup    | TRUSTMESH_AGENT_SOCKET_GROUP (name or gid) | the node's group |
 * | agentRenewBeforeMs  | TRUSTMESH_AGENT_RENEW_BEFORE (s) | 7 days         |
 * | metricsListen       | TRUSTMESH_METRICS_LISTEN         | off (a bare port binds 127.0.0.1) |
 * | consoleListen       | TRUSTMESH_CONSOLE_LISTEN         | off (a bare port binds 127.0.0.1) |
 * | credentials.ttlSeconds         | TRUSTMESH_NODE_CREDENTIAL_TTL_S      | 30 days |
 * | credentials.renewBeforeSeconds | TRUSTMESH_CREDENTIAL_RENEW_BEFORE_S  | 7 days (at most half the TTL) |
 * | credentials.checkIntervalMs    | TRUSTMESH_CREDENTIAL_CHECK_MS        | 1 hour  |
 */
import { readFileSync } from 'node:fs'
import { AUDIT_CHECKPOINT_INTERVAL_MS } from './services/audit/audit-node-service.js'
import { DEFAULT_APPROVAL_DEADLINE_MS } from './services/approvals/approvals-service.js'
import { DEFAULT_MAX_DELEGATION_TTL_SECONDS } from './services/delegation/chain-checker.js'
import { trustSettingsFromEnv, type TrustSettings } from './services/trust/trust-settings.js'
import { CREDENTIAL_CHECK_INTERVAL_MS, CREDENTIAL_RENEW_BEFORE_SECONDS, type CredentialRenewalOptions } from './services/credentials/node-credential-renewal.js'
import { NODE_CREDENTIAL_TTL_SECONDS } from './init-org.js'
import { DEFAULT_SAGA_SETTINGS } from './services/sagas/sagas-service.js'
import type { CoordinatorSettings } from './services/sagas/saga-coordinator.js'

export interface NodeSettings {
  spiffeSocket?: string
  auditIntervalMs: number
  approvalDeadlineMs: number
  approvalExpiryCheckMs?: number
  /** Longest lifetime of a delegation in a chain; a longer one is refused TTL_TOO_LONG. */
  maxDelegationTtlSeconds: number
  trust: TrustSettings
  taskTimeoutMs?: number
  sagas: CoordinatorSettings
  /** Period of the revocation prune (config only; default in the delegation service). */
  revocationPruneIntervalMs?: number
  /** Gossip storage bounds, per topic: records kept from one sending org, and signed by one issuer. */
  gossipLimits: { perPeer: number, perIssuer: number }
  /** Mode of `<data-dir>/agent.sock`: agents may run as other OS users (every request is signed anyway). */
  agentSocketMode: number
  /** Group id given to agent.sock. */
  agentSocketGroup?: number
  /** AgentCredentials with less than this left are renewed while the node runs. */
  agentRenewBeforeMs: number
  /** Prometheus metrics and /healthz; off when absent. */
  metricsListen?: ListenAddress
  /** The approvers' web console; off when absent. */
  consoleListen?: ListenAddress
  credentials: CredentialRenewalOptions
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

export const DEFAULT_GOSSIP_MAX_PER_PEER = 2_000
export const DEFAULT_GOSSIP_MAX_PER_ISSUER = 500
export const DEFAULT_AGENT_SOCKET_MODE = 0o660
export const DEFAULT_AGENT_RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000

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

function socketModeFrom (env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.TRUSTMESH_AGENT_SOCKET_MODE
  if (raw == null || raw.trim() === '') return undefined
  if (!/^0?[0-7]{3}$/.test(raw.trim())) throw new SettingsError(`TRUSTMESH_AGENT_SOCKET_MODE must be an octal mode such as 660, got ${JSON.stringify(raw)}`)
  const mode = parseInt(raw.trim(), 8)
  if ((mode & 0o600) !== 0o600 || (mode & 0o111) !== 0) throw new SettingsError(`TRUSTMESH_AGENT_SOCKET_MODE ${raw} must give the owner read and write and nobody execute`)
  return mode
}

/** A group name (looked up in /etc/group) or a numeric gid. */
function groupFrom (env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.TRUSTMESH_AGENT_SOCKET_GROUP?.trim()
  if (raw == null || raw === '') return undefined
  if (/^\d+$/.test(raw)) return Number(raw)
  let text = ''
  try { text = readFileSync('/etc/group', 'utf8') } catch { /* no group database: named groups cannot be resolved */ }
  const line = text.split('\n').find(l => l.split(':')[0] === raw)
  const gid = line != null ? Number(line.split(':')[2]) : NaN
  if (!Number.isInteger(gid)) throw new SettingsError(`TRUSTMESH_AGENT_SOCKET_GROUP names no group: ${JSON.stringify(raw)}`)
  return gid
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
    maxDelegationTtlSeconds: given.maxDelegationTtlSeconds ?? numberFrom(env, 'TRUSTMESH_MAX_DELEGATION_TTL', 1) ?? DEFAULT_MAX_DELEGATION_TTL_SECONDS,
    trust: given.trust ?? trustSettingsFromEnv(env),
    ...(given.taskTimeoutMs != null ? { taskTimeoutMs: given.taskTimeoutMs } : {}),
    sagas: given.sagas ?? {
      ...DEFAULT_SAGA_SETTINGS,
      compensationGraceMs: numberFrom(env, 'TRUSTMESH_SAGA_COMPENSATION_GRACE_MS', 0) ?? DEFAULT_SAGA_SETTINGS.compensationGraceMs,
      retryMaxMs: numberFrom(env, 'TRUSTMESH_SAGA_RETRY_MAX_MS', 10) ?? DEFAULT_SAGA_SETTINGS.retryMaxMs
    },
    ...(given.revocationPruneIntervalMs != null ? { revocationPruneIntervalMs: given.revocationPruneIntervalMs } : {}),
    gossipLimits: given.gossipLimits ?? {
      perPeer: numberFrom(env, 'TRUSTMESH_GOSSIP_MAX_PER_PEER', 1) ?? DEFAULT_GOSSIP_MAX_PER_PEER,
      perIssuer: numberFrom(env, 'TRUSTMESH_GOSSIP_MAX_PER_ISSUER', 1) ?? DEFAULT_GOSSIP_MAX_PER_ISSUER
    },
    agentSocketMode: given.agentSocketMode ?? socketModeFrom(env) ?? DEFAULT_AGENT_SOCKET_MODE,
    ...((given.agentSocketGroup ?? groupFrom(env)) != null ? { agentSocketGroup: given.agentSocketGroup ?? groupFrom(env) } : {}),
    agentRenewBeforeMs: given.agentRenewBeforeMs ?? numberFrom(env, 'TRUSTMESH_AGENT_RENEW_BEFORE', 1, 1000) ?? DEFAULT_AGENT_RENEW_BEFORE_MS,
    ...(metricsListen != null ? { metricsListen } : {}),
    ...(consoleListen != null ? { consoleListen } : {}),
    credentials: given.credentials ?? credentialSettings(env)
  }
}

function credentialSettings (env: NodeJS.ProcessEnv): CredentialRenewalOptions {
  const ttlSeconds = numberFrom(env, 'TRUSTMESH_NODE_CREDENTIAL_TTL_S', 10) ?? NODE_CREDENTIAL_TTL_SECONDS
  const renewBeforeSeconds = Math.min(numberFrom(env, 'TRUSTMESH_CREDENTIAL_RENEW_BEFORE_S', 1) ?? CREDENTIAL_RENEW_BEFORE_SECONDS, Math.floor(ttlSeconds / 2))
  return { ttlSeconds, renewBeforeSeconds, checkIntervalMs: numberFrom(env, 'TRUSTMESH_CREDENTIAL_CHECK_MS', 100) ?? CREDENTIAL_CHECK_INTERVAL_MS }
}
