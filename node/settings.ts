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
 * | agentSocketMode     | TRUSTMESH_AGENT_SOCKET_MODE (octal) | 660 (owner and group) |
 * | agentSocketGroup    | TRUSTMESH_AGENT_SOCKET_GROUP (name or gid) | the node's group |
 * | agentRenewBeforeMs  | TRUSTMESH_AGENT_RENEW_BEFORE (s) | 7 days         |
 */
import { readFileSync } from 'node:fs'
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
  /** Mode of `<data-dir>/agent.sock`: agents may run as other OS users (every request is signed anyway). */
  agentSocketMode: number
  /** Group id given to agent.sock. */
  agentSocketGroup?: number
  /** AgentCredentials with less than this left are renewed while the node runs. */
  agentRenewBeforeMs: number
}

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

export function resolveSettings (given: Partial<NodeSettings> = {}, env: NodeJS.ProcessEnv = process.env): NodeSettings {
  const spiffeSocket = given.spiffeSocket ?? env.SPIFFE_ENDPOINT_SOCKET
  return {
    ...(spiffeSocket != null && spiffeSocket !== '' ? { spiffeSocket } : {}),
    auditIntervalMs: given.auditIntervalMs ?? numberFrom(env, 'TRUSTMESH_AUDIT_INTERVAL_MS', 100) ?? AUDIT_CHECKPOINT_INTERVAL_MS,
    approvalDeadlineMs: given.approvalDeadlineMs ?? numberFrom(env, 'TRUSTMESH_APPROVAL_DEADLINE', 0.001, 1000) ?? DEFAULT_APPROVAL_DEADLINE_MS,
    ...(given.approvalExpiryCheckMs != null ? { approvalExpiryCheckMs: given.approvalExpiryCheckMs } : {}),
    trust: given.trust ?? trustSettingsFromEnv(env),
    ...(given.taskTimeoutMs != null ? { taskTimeoutMs: given.taskTimeoutMs } : {}),
    agentSocketMode: given.agentSocketMode ?? socketModeFrom(env) ?? DEFAULT_AGENT_SOCKET_MODE,
    ...((given.agentSocketGroup ?? groupFrom(env)) != null ? { agentSocketGroup: given.agentSocketGroup ?? groupFrom(env) } : {}),
    agentRenewBeforeMs: given.agentRenewBeforeMs ?? numberFrom(env, 'TRUSTMESH_AGENT_RENEW_BEFORE', 1, 1000) ?? DEFAULT_AGENT_RENEW_BEFORE_MS
  }
}
