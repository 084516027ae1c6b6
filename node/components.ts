/**
 * The narrow components services are built from (js-libp2p style). The composition root fills one
 * registry; every service declares the components it uses and reads them through a view that throws
 * `MissingComponentError` for anything absent, and `createNode` checks every declared dependency before
 * anything starts, so a missing part fails the build with a named error instead of an `undefined`
 * found later. There is no hooks bag: what one service needs of another is an interface here.
 */
import type { Clock } from '../identity/clock.js'
import type { Logger } from '../identity/logger.js'
import type { Ed25519Signer, Signer } from '../identity/signer.js'
import type { Result } from '../identity/result.js'
import type { Decision, PolicyRequest } from '../authz/index.js'
import type { TaskReply } from '../protocols/task/messages.js'
import type { HelloMessage } from '../protocols/hello/messages.js'
import type { DataDirLayout } from './data-dir.js'
import type { IdentityFile } from './identity-file.js'
import type { Store } from './store/open-store.js'
import type { Enrolments } from './mesh/enrolments.js'
import type { PeerRegistry } from './mesh/peer-registry.js'
import type { Mesh } from './mesh/mesh.js'
import type { VerifyHelloOptions } from './mesh/verify-hello.js'
import type { MeshLibp2p } from './libp2p/create-libp2p.js'
import type { ControlServer } from './api/control-server.js'
import type { TaskDispatcher } from './services/tasks/task-dispatcher.js'
import type { AgentRegistry, AgentRecord } from './services/agents/agent-registry.js'
import type { LocalPolicy } from './local-policy.js'
import type { RecordGossip } from './gossip/index.js'

/** A long-lived part: `start` and `stop` are idempotent; the node stops parts in reverse order. */
export interface Startable {
  start: () => Promise<void>
  stop: () => Promise<void>
}

/** A decision about to take effect; it is appended to the audit log first, and refused if it cannot be. */
export interface DecisionEvent {
  kind: 'task.allow' | 'task.deny' | 'task.pending' | 'approval' | 'revocation' | 'enrolment' | 'elevation' | 'policy.load' | 'delegation' | 'trust.update' | 'principal.conflict' | 'saga'
  subject: string
  reason?: string
  details: Record<string, unknown>
}

/** The audit log as every decision path sees it: a decision is recorded before it takes effect. */
export interface AuditRecorder {
  /** Appends durably; a failure is `AUDIT_UNAVAILABLE` and the caller must refuse the decision. */
  record: (event: DecisionEvent) => Promise<Result<void>>
  /** Entries in the log (a metric). */
  size: () => number
}

/** A task parked for human approval. */
export interface ParkedTask {
  taskId: string
  invoker: string
  invokerOrg: string
  executor: string
  ability: string
  resource: string
  args: unknown
  /** Request as received, so the task can run after approval. */
  request: unknown
  reason: string
  /** What the deciding rule requires (absent: one approval from any approver). */
  approvals?: { count: number, role?: string, rule?: string }
  /** The effective ring the request was decided at. */
  ring?: number
  /** The delegation chain, root -> leaf, as approvers see it. */
  chain?: ParkedChainLink[]
}

/** One link of a parked task's chain, for the approver: who granted what, under which caveats. */
export interface ParkedChainLink {
  cid: string
  issuer: string
  audience: string
  ability: string
  resource: string
  caveats: unknown
  expiresAt: number | null
}

/** Where a task that policy holds back waits for a human decision. */
/** Sagas this node coordinates, counted by state (a metric). */
export interface SagaCounts {
  byState: () => Record<string, number>
}

export interface ApprovalParking {
  park: (task: ParkedTask) => Promise<string>
  /** Tasks waiting for a decision now (a metric). */
  pending: () => number
}

/** What the task pipeline reports as it decides, for metrics (node/services/metrics/). */
export interface TaskMetrics {
  /** A task finished with `outcome` (ok, denied, pending, error) and reason `code`, `ms` after it arrived. */
  taskDecided: (outcome: string, code: string, ms: number) => void
}

/** Runs (or refuses, with a signed receipt) a task that was parked, once it is decided. */
export interface ParkedTaskRunner {
  runApproved: (request: unknown, approvalId: string, parkedAt: number) => Promise<TaskReply>
  refuseParked: (task: ParkedTask, parkedAt: number, approvalId: string, code: string, reason: string) => Promise<TaskReply>
}

/** Policies carried in delegation chains, by digest: fetched over the mesh, then evaluated. */
export interface CarriedPolicies {
  resolve: (digests: readonly string[], options?: { signal?: AbortSignal }) => Promise<void>
  decide: (digest: string, request: PolicyRequest) => Decision | undefined
}

/** Trust as the task path and gossipsub see it. */
export interface TrustLookup {
  /** Trust score (0..1000) of an org or agent DID, when known. */
  trustOf: (did: string) => number | undefined
}

/** Receipts this node signed or received: the first-hand trust evidence. */
export interface ReceiptSink {
  onReceipt: (receipt: string, direction: 'issued' | 'received') => Promise<void>
}

/** What happens when the operator creates an agent (root delegation, trust bookkeeping). */
export interface AgentLifecycle {
  agentCreated: (agent: AgentRecord) => Promise<void>
  /** The agent accepted (countersigned) its credential, or the org renewed it. */
  agentAccepted?: (agent: AgentRecord) => Promise<void>
  /** Removes a local agent and revokes its credentials with signed records gossiped to partners. */
  removeAgent?: (nameOrDid: string) => Promise<Result<{ agent: AgentRecord, revoked: string[] }>>
}

/** Hello fields a service adds (SPIFFE) and the SPIFFE check of a partner's hello. */
export interface HelloExtension {
  fields: () => Partial<HelloMessage>
  verifySpiffe: NonNullable<VerifyHelloOptions['verifySpiffe']>
}

/** The node's own effective policy, replaced atomically by `policy load`. */
export interface PolicyHolder {
  get: () => LocalPolicy
  set: (p: LocalPolicy) => void
}

/** Everything a service may declare as a dependency. */
export interface Components {
  clock: Clock
  logger: Logger
  layout: DataDirLayout
  identity: IdentityFile
  /** The org root key: signs credentials, root delegations, revocations, attestations. */
  orgSigner: Signer
  /** The node key (its PeerId): signs receipts and audit checkpoints; a file key or a token key. */
  nodeSigner: Signer
  /**
   * The node's own saga coordinator service key (`keys/saga.key`): signs the coordinator's invocations,
   * its acceptance of its AgentCredential, and the undo grants this node issues. It is the node's own
   * coordinator identity, never an agent's key (agents hold theirs).
   */
  sagaSigner: Ed25519Signer
  store: Store
  enrolments: Enrolments
  registry: PeerRegistry
  libp2p: MeshLibp2p
  mesh: Mesh
  gossip: RecordGossip
  control: ControlServer
  dispatcher: TaskDispatcher
  agents: AgentRegistry
  policy: PolicyHolder
  /** The NodeCredential this node presents in hello. */
  nodeCredential: () => string
  startedAt: number
  audit: AuditRecorder
  approvals: ApprovalParking
  sagas: SagaCounts
  parkedTasks: ParkedTaskRunner
  carriedPolicies: CarriedPolicies
  trust: TrustLookup & ReceiptSink & AgentLifecycle
  roots: AgentLifecycle
  hello: HelloExtension
  metrics: TaskMetrics
}

export type ComponentName = keyof Components

export class MissingComponentError extends Error {
  override readonly name = 'MissingComponentError'
  readonly code = 'MISSING_COMPONENT'
  constructor (readonly component: string, readonly neededBy: string) {
    super(`${neededBy} needs the component "${component}", which this node was built without`)
  }
}

/** A component registry, filled by the composition root. */
export class ComponentRegistry {
  readonly #parts = new Map<string, unknown>()

  set<K extends ComponentName> (name: K, value: Components[K]): void {
    this.#parts.set(name, value)
  }

  has (name: string): boolean {
    return this.#parts.has(name)
  }

  /** A view for `neededBy` that reads components when used and throws for a missing one. */
  view<K extends ComponentName> (neededBy: string, names: readonly K[]): Pick<Components, K> {
    const parts = this.#parts
    const allowed = new Set<string>(names)
    return new Proxy({}, {
      get (_t, prop) {
        // a view may be awaited or inspected: those probes are not component reads
        if (typeof prop !== 'string' || prop === 'then' || prop === 'toJSON') return undefined
        if (!allowed.has(prop)) throw new MissingComponentError(prop, `${neededBy} (undeclared)`)
        if (!parts.has(prop)) throw new MissingComponentError(prop, neededBy)
        return parts.get(prop)
      }
    }) as Pick<Components, K>
  }

  /** Throws for the first declared dependency nobody provides. */
  check (neededBy: string, names: readonly string[]): void {
    for (const n of names) if (!this.#parts.has(n)) throw new MissingComponentError(n, neededBy)
  }
}

/** A service as the composition root sees it. */
export interface Service extends Startable {
  readonly name: string
  /** Components this service reads; checked before any service starts. */
  readonly dependencies: readonly ComponentName[]
  /** A contribution to `node status`. */
  status?: () => unknown
}
