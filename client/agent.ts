/**
 * The agent SDK (`trustmesh/client`, DESIGN.md section 12): an agent with its own key talks to its
 * node's agent API (`<data-dir>/agent.sock`). Every request carries a proof signed by the agent's key;
 * the agent builds and signs its invocations, delegations and revocations itself with identity/ (the
 * node adds proofs and credentials, checks, and forwards), countersigns its AgentCredential (and
 * again whenever the node renews it), serves tasks addressed to it, and reads trust and the directory.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { issueDelegation, issueInvocation, issueRevocation, type Caveats } from '../identity/ucan/index.js'
import { signAgentProof, AGENT_PROOF_HEADER } from '../identity/agent-proof.js'
import { issueAcceptance } from '../identity/agent-acceptance.js'
import { decodeJwt } from '../identity/jwt.js'
import { loadAgentKeyFile } from '../identity/agent-key.js'
import { systemClock, type Clock } from '../identity/clock.js'
import type { Signer } from '../identity/signer.js'
import { createClient, type ControlClient, type RequestOptions } from './control-client.js'
import { runTaskLoop, type TaskHandler, type TaskLoop } from './agent-client.js'
import { PlanMemory, type TaskPlanReply } from './plan-memory.js'
import { agentSagas, type AgentSagas } from './agent-sagas.js'

export const AGENT_SOCKET_NAME = 'agent.sock'
/** How often a long-lived agent checks whether its node renewed its credential (and accepts it). */
export const DEFAULT_ACCEPT_CHECK_MS = 60_000

export interface CreateAgentOptions {
  /** The node's data directory; the socket is `<dataDir>/agent.sock`. */
  dataDir?: string
  /** Explicit agent socket path (overrides `dataDir`). */
  socketPath?: string
  /** The agent's key: a key file (`trustmesh agent keygen`) or any signer (HSM, KMS). */
  key: string | Signer
  /** Passphrase of an encrypted key file (else TRUSTMESH_AGENT_PASSPHRASE). */
  passphrase?: string
  timeoutMs?: number
  clock?: Clock
  /** Check for a renewed credential every this many ms and accept it (0: never); default 60 s. */
  acceptCheckMs?: number
  signal?: AbortSignal
}

export interface AgentInfo { name: string, did: string, ring: number, capabilities: string[], expiresAt: string, accepted: boolean, credential: string }
export interface SendInput { to: string, ability: string, resource: string, args?: unknown, proof?: string, timeoutMs?: number }
export interface TaskOutcome { id: string, targetOrg: string, outcome: 'ok' | 'error' | 'denied' | 'pending', code: string, reason?: string, output?: unknown, receipt?: string, approvalId?: string, link?: number, deadline?: number }
export interface DelegateInput { to: string, ability: string, resource: string, ttlSeconds?: number, caveats?: Record<string, number | string> }
export interface Grant { cid: string, jwt: string, issuer: string, audience: string, ability: string, resource: string, caveats: Caveats, expiresAt: string, proof: string, delivered: { ok: boolean, code?: string, message?: string, org?: string } }
export interface TrustScore { did: string, score: number | null, tier: string | null }
export interface DirectoryEntry { did: string, name: string, org: string, ring: number, capabilities: string[] }
export interface HeldDelegation { cid: string, jwt: string, issuer: string, audience: string, expiresAt: string | null, capabilities: Array<{ resource: string, ability: string, caveats: Caveats }>, proofs: string[], revoked: boolean }

export interface Agent {
  readonly did: string
  /** The node this agent talks to (the audience of its proofs) and its org. */
  readonly node: { node: string, org: string, orgName: string }
  me: (options?: RequestOptions) => Promise<AgentInfo>
  /** Countersigns the current AgentCredential (done at connect and after each renewal). */
  accept: (options?: RequestOptions) => Promise<AgentInfo>
  send: (input: SendInput, options?: RequestOptions) => Promise<TaskOutcome>
  /** A task this agent sent, as it stands now: a `pending` one (held for approval) is asked after again. */
  status: (taskId: string, options?: RequestOptions) => Promise<TaskOutcome>
  delegate: (input: DelegateInput, options?: RequestOptions) => Promise<Grant>
  revoke: (cid: string, options?: RequestOptions & { reason?: string }) => Promise<{ cid: string, issuer: string }>
  serve: (abilities: string | readonly string[], handler: TaskHandler, options?: { concurrency?: number, waitMs?: number, onError?: (err: Error) => void, signal?: AbortSignal }) => TaskLoop
  trust: (did: string, options?: RequestOptions) => Promise<TrustScore>
  directory: (options?: RequestOptions) => Promise<DirectoryEntry[]>
  delegations: (options?: RequestOptions) => Promise<HeldDelegation[]>
  /** Sagas this agent runs (steps across organisations, undone in reverse if a later one fails). */
  sagas: AgentSagas
  /** A signed request to any agent API route. */
  request: ControlClient['request']
  /** Stops serving loops and the renewal check. */
  close: () => Promise<void>
}

/** The node offered a credential this agent will not countersign. */
export class AgentCredentialError extends Error {
  override readonly name = 'AgentCredentialError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

/** The `iss` of a credential JWT (its org), or undefined when it does not decode. */
function issuerOfCredential (jwt: string): string | undefined {
  const d = decodeJwt(jwt)
  return d.ok && typeof d.value.payload.iss === 'string' ? d.value.payload.iss : undefined
}

export function agentSocketPath (dataDir: string): string {
  return join(dataDir, AGENT_SOCKET_NAME)
}

export async function createAgent (options: CreateAgentOptions): Promise<Agent> {
  const clock = options.clock ?? systemClock
  const signer: Signer = typeof options.key === 'string' ? await loadAgentKeyFile(options.key, { ...(options.passphrase != null ? { passphrase: options.passphrase } : {}) }) : options.key
  const socketPath = options.socketPath ?? (options.dataDir != null ? agentSocketPath(options.dataDir) : undefined)
  const anonymous = createClient({ ...(socketPath != null ? { socketPath } : {}), ...(options.dataDir != null ? { dataDir: options.dataDir } : {}), ...(options.timeoutMs != null ? { timeoutMs: options.timeoutMs } : {}) })
  const node = await anonymous.request<{ node: string, org: string, orgName: string }>('GET', '/v1/agent/node', undefined, { ...(options.signal != null ? { signal: options.signal } : {}) })
  const nowS = (): number => Math.floor(clock.now() / 1000)
  const client = createClient({
    socketPath: anonymous.socketPath,
    dataDir: anonymous.dataDir,
    ...(options.timeoutMs != null ? { timeoutMs: options.timeoutMs } : {}),
    sign: async (req) => ({ [AGENT_PROOF_HEADER]: await signAgentProof(signer, { ...req, audience: node.node }, nowS()) })
  })
  // after a node key rotation and restart the node has a new identity, the audience of every proof:
  // ask it again and retry once rather than failing every request from then on
  const request: ControlClient['request'] = async <T = unknown>(method: string, path: string, body?: unknown, o?: RequestOptions): Promise<T> => {
    try {
      return await client.request<T>(method, path, body, o)
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'PROOF_WRONG_AUDIENCE') throw err
      Object.assign(node, await anonymous.request<{ node: string, org: string, orgName: string }>('GET', '/v1/agent/node', undefined, o))
      return await client.request<T>(method, path, body, o)
    }
  }
  const loops = new Set<TaskLoop>()
  const plans = new PlanMemory(clock)

  const me = async (o: RequestOptions = {}): Promise<AgentInfo> => await request<AgentInfo>('GET', '/v1/agent/me', undefined, o)
  const acceptInfo = async (info: AgentInfo, o: RequestOptions = {}): Promise<AgentInfo> => {
    if (info.accepted) return info
    // accepted for our node's org only; after an org key rotation that is the org's new DID, not the
    // one the node had when this agent connected: ask the node again before refusing
    const issuer = issuerOfCredential(info.credential)
    if (issuer !== node.org) Object.assign(node, await anonymous.request<{ node: string, org: string, orgName: string }>('GET', '/v1/agent/node', undefined, o))
    if (issuer !== node.org) throw new AgentCredentialError('FOREIGN_CREDENTIAL', `the credential the node offers is issued by ${String(issuer)}, not by its org ${node.org}: not accepted`)
    const acceptance = await issueAcceptance(signer, info.credential, node.org, nowS())
    return await request<AgentInfo>('POST', '/v1/agent/acceptance', { acceptance }, o)
  }
  const accept = async (o: RequestOptions = {}): Promise<AgentInfo> => await acceptInfo(await me(o), o)
  await accept({ ...(options.signal != null ? { signal: options.signal } : {}) })

  // the node renews credentials before they expire; each renewed one needs the agent's countersignature
  const checkMs = options.acceptCheckMs ?? DEFAULT_ACCEPT_CHECK_MS
  const timer = checkMs > 0 ? setInterval(() => { void accept().catch(() => {}) }, checkMs) : undefined
  timer?.unref()

  const agent: Agent = {
    did: signer.did,
    node,
    me,
    accept,
    request,
    async send (input, o = {}) {
      const want = { to: input.to, ability: input.ability, resource: input.resource, ...(input.proof != null ? { proof: input.proof } : {}) }
      // a plan under the same delegation a moment ago is reused (one exchange per task instead of two)
      let plan = plans.reuse(want)
      if (plan == null) {
        plan = await request<TaskPlanReply>('POST', '/v1/agent/tasks/plan', want, o)
        plans.remember(want, plan)
      }
      const inv = await issueInvocation(signer, {
        audience: plan.audience, resource: plan.resource, ability: plan.ability, caveats: plan.caveats, proof: plan.proof.jwt,
        nonce: randomBytes(16).toString('base64url'), notBefore: plan.notBefore, expiration: plan.expiration
      })
      const timeoutMs = input.timeoutMs ?? 30_000
      try {
        const out = await request<TaskOutcome>('POST', '/v1/agent/tasks', { invocation: inv.jwt, args: input.args, timeoutMs }, { ...o, timeoutMs: o.timeoutMs ?? timeoutMs + 15_000 })
        // refused before delivery (no receipt): the plan may be stale; the next send asks the node again
        if (out.outcome !== 'ok' && out.receipt == null) plans.forget(want)
        return out
      } catch (err) {
        plans.forget(want)
        throw err
      }
    },
    async status (taskId, o = {}) {
      return await request<TaskOutcome>('GET', `/v1/agent/tasks/${encodeURIComponent(taskId)}`, undefined, o)
    },
    async delegate (input, o = {}) {
      const plan = await request<{ audience: string, capabilities: Record<string, Record<string, Caveats>>, notBefore: number, expiration: number, proof: { cid: string, jwt: string } }>(
        'POST', '/v1/agent/delegations/plan', input, o)
      const d = await issueDelegation(signer, { audience: plan.audience, capabilities: plan.capabilities, notBefore: plan.notBefore, expiration: plan.expiration, nonce: randomBytes(8).toString('base64url'), proofs: [plan.proof.jwt] })
      return await request<Grant>('POST', '/v1/agent/delegations', { delegation: d.jwt }, o)
    },
    async revoke (cid, o = {}) {
      const revocation = await issueRevocation(signer, cid, clock, o.reason)
      return await request<{ cid: string, issuer: string }>('POST', '/v1/agent/revocations', { revocation }, o)
    },
    serve (abilities, handler, o = {}) {
      const loop = runTaskLoop(client, typeof abilities === 'string' ? [abilities] : [...abilities], handler, { agent: signer.did, ...o })
      loops.add(loop)
      void loop.done.finally(() => loops.delete(loop))
      return loop
    },
    async trust (did, o = {}) { return await request<TrustScore>('GET', `/v1/agent/trust/${encodeURIComponent(did)}`, undefined, o) },
    async directory (o = {}) { return await request<DirectoryEntry[]>('GET', '/v1/agent/directory', undefined, o) },
    async delegations (o = {}) { return await request<HeldDelegation[]>('GET', '/v1/agent/delegations', undefined, o) },
    sagas: agentSagas(request, signer),
    async close () {
      if (timer != null) clearInterval(timer)
      await Promise.all([...loops].map(async l => { await l.stop() }))
    }
  }
  return agent
}
