/**
 * `trustmesh doctor`: gathers the node's real posture (data directory files and modes, the policy as
 * the node loads it, credentials, and, when the node runs, its control API: addresses, enrolments,
 * audit verification) and runs the pure checks of checks.ts over it.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { readConfigFile } from '../config-file.js'
import type { Clock } from '../../identity/clock.js'
import { dataDirLayout, NODE_KEY, ORG_KEY } from '../data-dir.js'
import { keyLocations } from '../keys/key-location.js'
import { readIdentityFile, type IdentityFile } from '../identity-file.js'
import { loadLocalPolicy } from '../local-policy.js'
import { readRegularFile } from '../../identity/regular-file.js'
import { DEFAULT_AGENT_RENEW_BEFORE_MS, resolveSettings } from '../settings.js'
import {
  checkAgentCredentials, checkAudit, checkConfigFile, checkFileModes, checkKeyLocations, checkIdentity, checkListenAddresses, checkNodeCredential, checkPassphrase, checkPeerAddresses,
  checkPolicyDefaultDeny, checkPolicyLoaded, checkSagas, checkPolicyNotAllowAll, checkRunningPolicy, checkSwarmKey, skipped,
  type AgentFacts, type AuditFacts, type SagaFacts, type FileFacts, type Finding, type PeerFacts, type PolicyFacts, type StatusFacts
} from './checks.js'

/** What doctor needs from the running node: a request function (the control client's). */
export type NodeRequest = <T>(method: string, path: string, body?: unknown) => Promise<T>

export interface DoctorOptions {
  dataDir: string
  clock: Clock
  /** The running node's control API; requests fail with code NODE_NOT_RUNNING when there is none. */
  request?: NodeRequest
  /** The agent credential renewal window (default: the node's setting, TRUSTMESH_AGENT_RENEW_BEFORE or 7 days). */
  agentRenewBeforeMs?: number
}

export interface DoctorReport {
  ok: boolean
  dataDir: string
  nodeRunning: boolean
  findings: Finding[]
}

async function fileFacts (path: string, withText = true): Promise<FileFacts> {
  try {
    const s = await stat(path)
    return { present: true, mode: s.mode, ...(withText ? { text: await readRegularFile(path) } : {}) }
  } catch {
    return { present: false }
  }
}

async function modeOf (path: string): Promise<number | undefined> {
  try { return (await stat(path)).mode } catch { return undefined }
}

function codeOf (err: unknown): string | undefined {
  const c = (err as { code?: unknown })?.code
  return typeof c === 'string' ? c : undefined
}

export async function runDoctor (options: DoctorOptions): Promise<DoctorReport> {
  const layout = dataDirLayout(options.dataDir)
  const findings: Finding[] = []

  let identity: IdentityFile | undefined
  try {
    identity = await readIdentityFile(layout.identity, options.dataDir)
    findings.push(checkIdentity(identity))
  } catch (err) {
    findings.push(checkIdentity({ error: (err as Error).message }))
  }

  let policy: PolicyFacts
  try {
    const p = await loadLocalPolicy(layout.policy)
    policy = { loaded: true, policy: p.policy, file: p.file, digest: p.digest }
  } catch (err) {
    policy = { loaded: false, file: layout.policy, code: codeOf(err) ?? 'POLICY_ERROR', message: (err as Error).message }
  }
  findings.push(checkPolicyLoaded(policy), checkPolicyDefaultDeny(policy), checkPolicyNotAllowAll(policy, identity?.orgDid))

  try {
    const present = existsSync(layout.config)
    const config = await readConfigFile(layout.config)
    findings.push(checkConfigFile({ file: layout.config, present, keys: Object.keys(config) }))
  } catch (err) {
    findings.push(checkConfigFile({ file: layout.config, present: true, error: (err as Error).message }))
  }
  findings.push(...checkSwarmKey(await fileFacts(layout.swarmKey), layout.swarmKey))

  const keyFiles: Array<{ path: string, mode: number }> = []
  const keysMode = await modeOf(layout.keys)
  if (keysMode != null) {
    for (const name of await readdir(layout.keys).catch(() => [] as string[])) {
      const m = await modeOf(join(layout.keys, name))
      if (m != null) keyFiles.push({ path: join(layout.keys, name), mode: m })
    }
  }
  findings.push(...checkFileModes({ dataDir: { path: layout.root, mode: await modeOf(layout.root) }, keysDir: { path: layout.keys, mode: keysMode }, keyFiles }))
  findings.push(...checkKeyLocations(await keyLocations(layout, [identity?.orgKey ?? ORG_KEY, identity?.nodeKey ?? NODE_KEY])))
  findings.push(checkPassphrase({ path: layout.passphrase, present: (await fileFacts(layout.passphrase, false)).present }))
  findings.push(checkNodeCredential(await fileFacts(layout.nodeCredential), layout.nodeCredential, identity, options.clock.now()))

  const running = await runningChecks(options.request, policy, options.clock.now(), options.agentRenewBeforeMs ?? renewWindow())
  findings.push(...running.findings)
  return { ok: findings.every(f => f.ok || f.severity !== 'error'), dataDir: layout.root, nodeRunning: running.running, findings }
}

/** The renewal window the node uses (its setting from the environment; the default when that is unset or invalid). */
function renewWindow (): number {
  try { return resolveSettings({}).agentRenewBeforeMs } catch { return DEFAULT_AGENT_RENEW_BEFORE_MS }
}

async function runningChecks (request: NodeRequest | undefined, policy: PolicyFacts, nowMs: number, renewBeforeMs: number): Promise<{ running: boolean, findings: Finding[] }> {
  const ids = ['network.listen', 'policy.running', 'network.peers', 'credential.agents', 'audit.verify', 'sagas.stuck', 'clock.peers']
  const allSkipped = (reason: string): Finding[] => ids.map(id => skipped(id, reason))
  if (request == null) return { running: false, findings: allSkipped('no control API client') }
  let status: StatusFacts
  try {
    status = await request<StatusFacts>('GET', '/v1/status')
  } catch (err) {
    if (codeOf(err) === 'NODE_NOT_RUNNING') return { running: false, findings: allSkipped('the node is not running (start it with `trustmesh node start` to check its live posture)') }
    return { running: false, findings: allSkipped(`the node's control API did not answer: ${(err as Error).message}`) }
  }
  const findings: Finding[] = [checkListenAddresses(status), checkRunningPolicy(status, policy)]
  try {
    findings.push(checkPeerAddresses(await request<PeerFacts[]>('GET', '/v1/peers')))
  } catch (err) {
    findings.push(skipped('network.peers', `GET /v1/peers failed: ${(err as Error).message}`))
  }
  try {
    findings.push(checkAgentCredentials(await request<AgentFacts[]>('GET', '/v1/agents'), nowMs, renewBeforeMs))
  } catch (err) {
    findings.push(checkAgentCredentials({ unavailable: `GET /v1/agents failed: ${(err as Error).message}` }, nowMs, renewBeforeMs))
  }
  let audit: AuditFacts | { unavailable: string }
  try {
    audit = await request<AuditFacts>('POST', '/v1/audit/verify', {})
  } catch (err) {
    const code = codeOf(err)
    audit = { unavailable: code === 'NOT_FOUND' ? 'audit API not available on this node' : `audit verification did not answer: ${code ?? ''} ${(err as Error).message}` }
    // an audit log the node itself reports as corrupt or unavailable is a failure, not a skip
    if (code === 'AUDIT_CORRUPT' || code === 'AUDIT_UNAVAILABLE') audit = { ok: false, code, message: (err as Error).message, entries: 0, cosigners: [] }
  }
  findings.push(checkAudit(audit))
  try {
    findings.push(checkSagas(await request<SagaFacts[]>('GET', '/v1/sagas')))
  } catch (err) {
    findings.push(checkSagas({ unavailable: `GET /v1/sagas failed: ${(err as Error).message}` }))
  }
  // hello carries no timestamp and the control API exposes no peer clocks: say so rather than guess
  findings.push(skipped('clock.peers', 'the node does not expose its peers\' clocks (hello carries no time); compare clocks with NTP on the LAN'))
  return { running: true, findings }
}
