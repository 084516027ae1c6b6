/**
 * An executing node for TaskExecutor tests without a network, built as the composition root builds
 * one: a ComponentRegistry holding a real store in a temp dir, in-memory stand-ins for the parts the
 * executor reads (agents, dispatcher, audit, approvals, trust) and offline stand-ins for the network
 * parts (mesh, libp2p, registry, gossip: only the services' start() and the sender use them), then
 * `createDelegationService` and `createTasksService` from node/services over views of it. The
 * services are not started (that would serve protocols on the mesh); the delegation parts are loaded
 * from the store as start() loads them. A fake clock, and helpers that build delegation chains and
 * task requests from fixed principals. `reopen()` closes and reopens the store with fresh
 * components, as a node restart does.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { issueAgentCredential } from '../../../../identity/credentials.js'
import { issueAcceptance } from '../../../../identity/agent-acceptance.js'
import { issueDelegation, issueInvocation, cidOfJwt, type Caveats } from '../../../../identity/ucan/index.js'
import type { Ed25519Signer } from '../../../../identity/signer.js'
import { openStore, type Store } from '../../../../node/store/index.js'
import { SUBLEVELS as Sublevel } from '../../../../node/store/sublevels.js'
import { silentLogger } from '../../../../identity/logger.js'
import { loadLocalPolicy } from '../../../../node/local-policy.js'
import { Enrolments, type Enrolment } from '../../../../node/mesh/enrolments.js'
import { ComponentRegistry, type Components, type ComponentName, type DecisionEvent } from '../../../../node/components.js'
import { createDelegationService, DELEGATION_DEPENDENCIES } from '../../../../node/services/delegation/delegation-service.js'
import { createTasksService, TASKS_DEPENDENCIES } from '../../../../node/services/tasks/tasks-service.js'
import { createTaskDispatcher, type TaskDispatcher } from '../../../../node/services/tasks/task-dispatcher.js'
import type { AgentTask } from '../../../../node/services/tasks/task-types.js'
import type { AgentRecord } from '../../../../node/services/agents/agent-registry.js'
import { INBOUND_DEPENDENCIES, type InboundComponents } from '../../../../node/services/tasks/inbound-components.js'
import { ElevationBook, type StoredElevation } from '../../../../node/services/approvals/elevation-book.js'
import type { PrincipalBook } from '../../../../node/services/delegation/principal-book.js'
import type { ReplayGuard } from '../../../../node/services/delegation/replay-guard.js'
import type { RevocationBook } from '../../../../node/services/delegation/revocation-book.js'
import type { ChainChecker } from '../../../../node/services/delegation/chain-checker.js'
import type { TaskExecutor } from '../../../../node/services/tasks/task-executor.js'
import type { TaskLog } from '../../../../node/services/tasks/task-log.js'
import type { TaskRequest } from '../../../../protocols/task/messages.js'
import { fakeClock, type FakeClock } from '../../../helpers/clock.js'
import type { KeySuccession } from '../../../../identity/successor-record.js'
import { principal } from '../../../helpers/principals.js'

export const TEST_POLICY = `version: 1
name: exec-test
default: deny
rings:
  "*/read": 3
  records/write: 2
  "payments/*": 1
rules:
  - id: read-any
    effect: allow
    match:
      ability: "*/read"
  - id: write-any
    effect: allow
    match:
      ability: records/write
      ring: { max: 2 }
  - id: pay-ring-1
    effect: allow
    match:
      ability: "payments/*"
      ring: { max: 1 }
`

export interface Agent { name: string, signer: Ed25519Signer, org: Ed25519Signer, ring: number, credential: string, acceptance: string }

/** Every acceptance made here, by credential: `invoke` ships the acceptances of the credentials it carries. */
const acceptanceByCredential = new Map<string, string>()

/** The agent's acceptance of `credential`, when made by `makeAgent`. */
export function acceptanceOf (credential: string): string | undefined {
  return acceptanceByCredential.get(credential)
}

export const nowS = (clock: FakeClock): number => Math.floor(clock.now() / 1000)

/** An AgentCredential for `name` (fixed seed) issued by `org`. */
export async function makeAgent (name: string, org: Ed25519Signer, ring: number, clock: FakeClock, capabilities = ['records/read']): Promise<Agent> {
  const signer = principal(name)
  const credential = await issueAgentCredential(org, { agentDid: signer.did, name, ring, capabilities }, { clock, ttlSeconds: 30 * 24 * 3600 })
  const acceptance = await issueAcceptance(signer, credential, org.did, nowS(clock))
  acceptanceByCredential.set(credential, acceptance)
  return { name, signer, org, ring, credential, acceptance }
}

/** One delegation link; `proof` is the JWT it rests on. */
export async function grant (from: Ed25519Signer, to: string, resource: string, ability: string, clock: FakeClock, o: { proof?: string, caveats?: Caveats, nbf?: number, exp?: number } = {}): Promise<string> {
  const t = await issueDelegation(from, {
    audience: to,
    capabilities: { [resource]: { [ability]: o.caveats ?? [{}] } },
    notBefore: o.nbf ?? nowS(clock) - 10,
    expiration: o.exp ?? nowS(clock) + 3600,
    nonce: Math.random().toString(36).slice(2),
    ...(o.proof != null ? { proofs: [o.proof] } : {})
  })
  return t.jwt
}

let nonceCounter = 0

/** A fresh invocation by `by` to `aud` under `proof`, with the request around it. */
export async function invoke (by: Ed25519Signer, aud: string, resource: string, ability: string, proofs: string[], credentials: string[], clock: FakeClock, o: { caveats?: Caveats, nbf?: number, exp?: number, args?: unknown } = {}): Promise<TaskRequest> {
  const inv = await issueInvocation(by, {
    audience: aud, resource, ability, caveats: o.caveats ?? [{}], proof: proofs[proofs.length - 1],
    nonce: `n${++nonceCounter}-${Math.random().toString(36).slice(2)}`, notBefore: o.nbf ?? nowS(clock) - 1, expiration: o.exp ?? nowS(clock) + 60
  })
  const proofMap: Record<string, string> = {}
  for (const p of proofs) proofMap[cidOfJwt(p)] = p
  const creds: Record<string, string> = {}
  const acceptances: Record<string, string> = {}
  credentials.forEach((c, i) => {
    creds[`c${i}`] = c
    const a = acceptanceByCredential.get(c)
    if (a != null) acceptances[cidOfJwt(c)] = a
  })
  return { v: 1, invocation: inv.jwt, proofs: proofMap, credentials: creds, ...(Object.keys(acceptances).length > 0 ? { acceptances } : {}), ...(o.args !== undefined ? { args: o.args } : {}) }
}

/** Test-side observers of decisions: each is called as the audit log would be; a throw makes it unwritable. */
export interface ExecHooks {
  beforeDecision: Array<(event: DecisionEvent) => Promise<void>>
}

export interface ExecNode {
  ctx: InboundComponents
  hooks: ExecHooks
  clock: FakeClock
  store: Store
  executor: TaskExecutor
  checker: ChainChecker
  principals: PrincipalBook
  replay: ReplayGuard
  revocations: RevocationBook
  tasks: TaskLog
  /** Tasks handed to the stub dispatcher (empty when the real dispatcher is used). */
  dispatched: AgentTask[]
  /** Close the store and open it again with fresh components (a restart). */
  reopen: () => Promise<void>
  close: () => Promise<void>
}

export interface ExecNodeOptions {
  org: Ed25519Signer
  orgName: string
  localAgents: Agent[]
  enrolled: Array<{ orgDid: string, maxRing?: number }>
  clock?: FakeClock
  /** 'stub' answers every task at once; 'real' is the node's dispatcher with no agent polling. */
  dispatcher?: 'stub' | 'real'
  policy?: string
  /** Org key rotations the node knows (the successor book's view). */
  succession?: KeySuccession
}

/** A network part this fixture does not have: any use other than `allowed` throws. */
function offline<T> (name: string, allowed: Record<string, unknown> = {}): T {
  return new Proxy(allowed, {
    get (target, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined
      if (prop in target) return target[prop]
      return () => { throw new Error(`${name}.${prop}: no network in the executor fixture`) }
    }
  }) as T
}

export async function openExecNode (o: ExecNodeOptions): Promise<ExecNode> {
  const dir = await mkdtemp('/tmp/tmx-')
  const clock = o.clock ?? fakeClock(Date.now())
  await writeFile(`${dir}/policy.yaml`, o.policy ?? TEST_POLICY)
  const policy = await loadLocalPolicy(`${dir}/policy.yaml`)
  const records: AgentRecord[] = o.localAgents.map(a => ({ name: a.name, did: a.signer.did, ring: a.ring, capabilities: ['records/read'], credential: a.credential, createdAt: clock.now(), expiresAt: clock.now() + 30 * 24 * 3600 * 1000 }))
  const hooks: ExecHooks = { beforeDecision: [] }
  const dispatched: AgentTask[] = []
  const stub = { dispatch: async (_agent: string, _ability: string, task: AgentTask) => { dispatched.push(task); return { ok: true as const, output: { done: task.id } } } }
  let real: TaskDispatcher | undefined
  const node = {} as ExecNode

  const build = async (): Promise<void> => {
    const store = await openStore(dir)
    const enrolments = new Enrolments(store.repository<Enrolment>(Sublevel.peers), o.org.did)
    for (const e of o.enrolled) await enrolments.add({ orgDid: e.orgDid, ...(e.maxRing != null ? { maxRing: e.maxRing } : {}) }, clock.now())
    real = o.dispatcher === 'real' ? createTaskDispatcher({ logger: silentLogger(), clock, graceMs: 50 }) : undefined
    const components = new ComponentRegistry()
    const parts: Partial<Components> = {
      clock,
      logger: silentLogger(),
      identity: { orgDid: o.org.did, orgName: o.orgName } as Components['identity'],
      orgSigner: o.org,
      nodeSigner: principal(`${o.orgName}-node`),
      store,
      enrolments,
      agents: { get: async (x: string) => records.find(a => a.name === x || a.did === x), hosts: async (x: string) => records.some(a => a.did === x), list: async () => records } as unknown as Components['agents'],
      dispatcher: (real ?? stub) as Components['dispatcher'],
      policy: { get: () => policy, set: () => {} },
      audit: {
        record: async (event: DecisionEvent) => {
          try {
            for (const h of hooks.beforeDecision) await h(event)
            return { ok: true as const, value: undefined }
          } catch (err) {
            return { ok: false as const, error: { code: 'AUDIT_UNAVAILABLE', message: (err as Error).message } }
          }
        }
      } as unknown as Components['audit'],
      approvals: { park: async () => { throw new Error('no approval queue in this fixture') }, pending: () => 0 } as unknown as Components['approvals'],
      metrics: { taskDecided: () => {} },
      carriedPolicies: { resolve: async () => {}, decide: () => undefined } as unknown as Components['carriedPolicies'],
      trust: { trustOf: () => undefined, onReceipt: async () => {}, agentCreated: async () => {} } as unknown as Components['trust'],
      // no network: the delegation service registers its revocation topic at construction, nothing else
      gossip: offline<Components['gossip']>('gossip', { register: () => {} }),
      mesh: offline<Components['mesh']>('mesh'),
      libp2p: offline<Components['libp2p']>('libp2p'),
      registry: offline<Components['registry']>('registry')
    }
    for (const [name, value] of Object.entries(parts)) components.set(name as ComponentName, value as never)
    const delegation = createDelegationService(components.view('delegation', DELEGATION_DEPENDENCIES), o.succession != null ? { succession: o.succession } : {})
    const elevations = new ElevationBook({ repo: store.repository<StoredElevation>(Sublevel.elevations), org: o.org.did, clock })
    const service = createTasksService(components.view('tasks', TASKS_DEPENDENCIES), delegation.parts, { elevations, taskTimeoutMs: 2_000 })
    components.check('delegation', DELEGATION_DEPENDENCIES)
    components.check('tasks', TASKS_DEPENDENCIES)
    const { principals, replay, revocations, checker } = delegation.parts
    // what delegation.start() loads, without serving its protocols on the (absent) mesh
    await Promise.all([principals.load(), replay.load(clock.now()), revocations.load()])
    for (const a of o.localAgents) await principals.add(a.credential, { local: true })
    const { executor, tasks } = service
    const ctx = components.view('executor fixture', INBOUND_DEPENDENCIES)
    Object.assign(node, { ctx, store, executor, checker, principals, replay, revocations, tasks })
  }
  await build()
  Object.assign(node, {
    hooks,
    clock,
    dispatched,
    reopen: async () => { await real?.stop(); await node.store.close(); await build() },
    close: async () => { await real?.stop(); await node.store.close(); await rm(dir, { recursive: true, force: true }) }
  })
  return node
}
