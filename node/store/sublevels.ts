/**
 * The one place that names every sublevel of a node's LevelDB store (as lodestar's buckets). A name,
 * once used, is never reused for another record type: retire it and pick a new one.
 */
export const Sublevel = {
  meta: 'meta',
  agents: 'agents',
  credentials: 'credentials',
  peers: 'peers',
  peerBindings: 'peer-bindings',
  revocations: 'revocations',
  nonces: 'nonces',
  invocations: 'invocations',
  receipts: 'receipts',
  delegations: 'delegations',
  approvals: 'approvals',
  approvalUses: 'approval-uses',
  tasks: 'tasks',
  policies: 'policies',
  elevations: 'elevations',
  auditEntries: 'audit-entries',
  auditState: 'audit-state',
  auditCheckpoints: 'audit-checkpoints',
  auditCosignatures: 'audit-cosignatures',
  auditWitness: 'audit-witness',
  trustEvidence: 'trust-evidence',
  trustAttestations: 'trust-attestations',
  libp2p: 'libp2p'
} as const

export type SublevelName = typeof Sublevel[keyof typeof Sublevel]

const ALL = new Set<string>(Object.values(Sublevel))

export function isSublevelName (name: string): name is SublevelName {
  return ALL.has(name)
}
