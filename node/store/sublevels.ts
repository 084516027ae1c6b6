/**
 * The one place that names every sublevel of the node's LevelDB store (lodestar `db/buckets.ts`
 * style). A name is a key prefix on disk: once shipped it is never renamed, and a retired name is
 * moved to `RETIRED_SUBLEVELS` and never reused, so old data can never be read as a new record type.
 * Names are lower-case ASCII (`[a-z0-9-]`), which sorts after LevelDB's `!` separator.
 */
export const SUBLEVELS = {
  /** Store metadata: schema version, node settings that must survive restarts. */
  meta: 'meta',
  /** AgentCredentials of agents hosted by this node, by agent DID. */
  agents: 'agents',
  /** Verified credentials (Agent/Node) seen from peers, by `jti`. */
  credentials: 'credentials',
  /** Gossiped successor records as received (the successors topic). */
  successorRecords: 'successor-records',
  /** Successor records (org key rotations, ours and partners'), by old org DID. */
  successors: 'successors',
  /** Partners' node PeerIds retired by a node key rotation (a NodeCredential's `replaces`), by PeerId. */
  retiredPeers: 'retired-peers',
  /** Enrolled partner organisations, by org DID. */
  peers: 'peers',
  /** PeerId -> org DID bindings established by hello. */
  peerBindings: 'peer-bindings',
  /** Revocation records, by revoked token CID. Irreversible. */
  revocations: 'revocations',
  /** Invocation nonces and CIDs already seen (replay protection across restarts). */
  nonces: 'nonces',
  /** Invocations received or sent, by invocation CID. */
  invocations: 'invocations',
  /** Signed task receipts, by invocation CID. */
  receipts: 'receipts',
  /** Delegation tokens, by CID. */
  delegations: 'delegations',
  /** Parked tasks awaiting human approval and their decisions. */
  approvals: 'approvals',
  /** Task state. */
  tasks: 'tasks',
  /** Policy documents, by digest. */
  policies: 'policies',
  /** Ring elevations (explicit, time-limited, signed). */
  elevations: 'elevations',
  /** Audit log leaves, by zero-padded index. */
  auditEntries: 'audit-entries',
  /** Signed audit checkpoints (tree heads). */
  auditCheckpoints: 'audit-checkpoints',
  /** Peers' cosignatures of our checkpoints and ours of theirs. */
  auditCosignatures: 'audit-cosignatures',
  /** First-hand trust evidence (receipts digested for scoring). */
  trustEvidence: 'trust-evidence',
  /** Signed TrustAttestations received over gossip. */
  trustAttestations: 'trust-attestations',
  /** The libp2p datastore (peer store, keychain). */
  libp2p: 'libp2p',
  /** Approval JWT ids already used (an approval is good for one task). */
  approvalUses: 'approval-uses',
  /** Gossiped revocation records as received (the RevocationBook indexes them in `revocations`). */
  revocationRecords: 'revocation-records',
  /** Audit log tree state (size, frontier) and interior hashes. */
  auditState: 'audit-state',
  /** Latest verified checkpoint per peer origin, kept by this node as a witness. */
  auditWitness: 'audit-witness',
  /** Signed audit checkpoints of any node received over gossip (witnesses compare them). */
  auditGossip: 'audit-gossip',
  /** Sagas this node coordinates: document, step states, sent invocations, timeline (synced before each step). */
  sagas: 'sagas',
  /** Named approvers (their DIDs and roles); they hold their own keys. */
  approvers: 'approvers'
} as const

export type SublevelKey = keyof typeof SUBLEVELS
export type SublevelName = typeof SUBLEVELS[SublevelKey]

/** Names used by earlier versions and retired: never reuse one of these. */
export const RETIRED_SUBLEVELS: readonly string[] = []

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/

/** Every sublevel name in use. */
export function sublevelNames (): SublevelName[] {
  return Object.values(SUBLEVELS)
}

/** True when `name` is a current sublevel name (guards names arriving as plain strings). */
export function isSublevelName (name: string): name is SublevelName {
  return (Object.values(SUBLEVELS) as string[]).includes(name) && NAME_PATTERN.test(name)
}
