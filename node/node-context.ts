/**
 * What the composition root hands to each feature: the narrow set of long-lived parts a feature may
 * use. Features (delegation, tasks, policy, trust, audit, ...) are built from this and never construct
 * global state themselves.
 */
import type { Clock } from '../identity/clock.js'
import type { Logger } from '../identity/logger.js'
import type { DataDirLayout } from './data-dir.js'
import type { IdentityFile } from './identity-file.js'
import type { Ed25519Signer } from '../identity/signer.js'
import type { KeyStore } from '../identity/keystore.js'
import type { Store } from './store/open-store.js'
import type { Enrolments } from './mesh/enrolments.js'
import type { PeerRegistry } from './mesh/peer-registry.js'
import type { Mesh } from './mesh/mesh.js'
import type { MeshLibp2p } from './libp2p/create-libp2p.js'
import type { ControlServer } from './api/control-server.js'
import type { TaskDispatcher } from './services/tasks/task-dispatcher.js'
import type { AgentRegistry, AgentRecord } from './services/agents/agent-registry.js'
import type { LocalPolicy } from './local-policy.js'
import type { HelloMessage } from '../protocols/hello/messages.js'
import type { RecordGossip } from './gossip/index.js'
import type { VerifyHelloOptions } from './mesh/verify-hello.js'

export interface NodeContext {
  readonly clock: Clock
  readonly logger: Logger
  readonly layout: DataDirLayout
  readonly identity: IdentityFile
  /** The org root key: signs credentials, root delegations, revocations, attestations. */
  readonly orgSigner: Ed25519Signer
  /** The node key: its PeerId; signs receipts and audit checkpoints. */
  readonly nodeSigner: Ed25519Signer
  readonly keys: KeyStore
  readonly store: Store
  readonly enrolments: Enrolments
  readonly registry: PeerRegistry
  readonly libp2p: MeshLibp2p
  readonly mesh: Mesh
  readonly control: ControlServer
  readonly dispatcher: TaskDispatcher
  /** Signed-record gossip (revocations, trust attestations, audit checkpoints) with catch-up on connect. */
  readonly gossip: RecordGossip
  readonly agents: AgentRegistry
  /** The node's own effective policy (replaced atomically by `policy load`). */
  readonly policy: { get: () => LocalPolicy, set: (p: LocalPolicy) => void }
  /** Settings the operator gave at start that features read (e.g. `spiffeSocket`). */
  readonly settings: NodeSettings
  /** Hello extension points: fields a feature adds to our hello, and the SPIFFE check of a peer's. */
  readonly hello: {
    readonly extensions: Array<() => Partial<HelloMessage>>
    setVerifySpiffe: (fn: NonNullable<VerifyHelloOptions['verifySpiffe']>) => void
  }
  /** Extension points features subscribe to. */
  readonly hooks: NodeHooks
  /** The NodeCredential this node presents in hello. */
  readonly nodeCredential: () => string
  readonly startedAt: number
  /** Features register a contribution to `node status`. */
  readonly statusProviders: Map<string, () => unknown>
}

/** A decision about to take effect; audit appends it (throwing makes the decision a DENY). */
export interface DecisionEvent {
  kind: 'task.allow' | 'task.deny' | 'task.pending' | 'approval' | 'revocation' | 'enrolment' | 'elevation' | 'policy.load' | 'delegation'
  subject: string
  reason?: string
  details: Record<string, unknown>
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
}

export interface NodeHooks {
  agentCreated: Array<(agent: AgentRecord) => Promise<void>>
  /** Called before any decision takes effect, in order; a throw turns the decision into a DENY. */
  beforeDecision: Array<(event: DecisionEvent) => Promise<void>>
  /** Receipts this node signed or received (trust evidence). */
  receipt: Array<(receipt: string, direction: 'issued' | 'received') => Promise<void>>
  /** Parks a task that needs approval and returns its approval id; unset: such tasks are denied. */
  parkForApproval?: (task: ParkedTask) => Promise<string>
  /** Trust score (0..1000) of an org or agent DID, when known. */
  trustOf?: (did: string) => number | undefined
  /** Decision of a policy carried in a chain (by digest) for the request; undefined when unavailable. */
  carriedPolicy?: (digest: string, request: import('../authz/index.js').PolicyRequest) => import('../authz/index.js').Decision | undefined
  /** Make carried policies (by digest) available to `carriedPolicy`, fetching them over the mesh; awaited before deciding. */
  resolveCarriedPolicies?: (digests: readonly string[], options?: { signal?: AbortSignal }) => Promise<void>
  /** Run a parked task once approved (set by the task executor); `request` is ParkedTask.request. */
  runApproved?: (request: unknown, approvalId: string, parkedAt: number) => Promise<import('../protocols/task/messages.js').TaskReply>
}

export interface NodeSettings {
  /** SPIFFE Workload API address (`unix:///path` or `tcp://ip:port`); else SPIFFE_ENDPOINT_SOCKET; else off. */
  spiffeSocket?: string
}

/** A capability of the node, started after the core in list order and stopped in reverse. */
export interface Feature {
  readonly name: string
  start?: () => Promise<void>
  stop?: () => Promise<void>
}

export type FeatureFactory = (ctx: NodeContext) => Feature | Promise<Feature>
