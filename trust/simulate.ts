/**
 * Seeded, pure simulations of the trust model against the DESIGN.md B7-B9 threat models, and the
 * random graphs of B10. Honest orgs judge peers from receipts of tasks their node ran for the peers'
 * agents (local-score.ts) and pass on max(score - TRUST_FLOOR, 0); adversaries publish whatever
 * praise they like; one honest observer runs personalised EigenTrust from its pre-trusted set.
 */
import { admitEvidence, type EvidenceRecord, type Outcome } from './evidence.js'
import { computeEigenTrust, globalTrustOf, type EigenTrustResult, type TrustEdge } from './eigentrust.js'
import { DAY_MS, localScore, type LocalScoreOptions } from './local-score.js'
import { createPrng, type Prng } from './prng.js'
import { foldToOrgs } from './sybil-cap.js'
import { MAX_SCORE, localTrustFromScore } from './tiers.js'

export type AdversaryBehaviour = 'collusion' | 'camouflage'

export interface PopulationConfig {
  seed: number
  orgs: number
  /** Fraction of orgs that are adversaries, e.g. 0.3. */
  adversaryFraction: number
  behaviour: AdversaryBehaviour
  /** Peers each org runs tasks for. Default 20. */
  peersPerOrg?: number
  /** Receipts per (executor, subject) pair. Default 10. */
  tasksPerPeer?: number
  /** Success rate of honest orgs' agents. Default 0.95. */
  honestQuality?: number
  /** Success rate of adversaries' agents at honest orgs: default 0.05 (collusion), 0.5 (camouflage). */
  adversaryQuality?: number
  /** Honest orgs in the observer's pre-trusted set (the observer plus partners). Default 4. */
  preTrusted?: number
  /** Receipts are spread over this span before `now`. Default 14 days. */
  spanMs?: number
  alpha?: number
  score?: LocalScoreOptions
}

export interface PopulationResult {
  readonly adversaryShare: number
  readonly honestShare: number
  readonly orgs: number
  readonly adversaries: number
  readonly edges: number
  readonly iterations: number
  readonly converged: boolean
}

const NOW = Date.UTC(2026, 0, 1)
const FAILURES: readonly Outcome[] = ['error', 'timeout', 'denied']

const orgId = (i: number): string => `org-${i}`
const agentId = (i: number, a: number): string => `org-${i}/agent-${a}`

function distinctPeers (rng: Prng, self: number, n: number, k: number): number[] {
  const chosen = new Set<number>()
  const want = Math.min(k, n - 1)
  while (chosen.size < want) {
    const j = rng.int(n)
    if (j !== self) chosen.add(j)
  }
  return [...chosen].sort((a, b) => a - b)
}

function receipts (rng: Prng, executor: number, subject: number, count: number, quality: number, spanMs: number, cidPrefix: string, agentOf: (r: number) => string): EvidenceRecord[] {
  const out: EvidenceRecord[] = []
  for (let r = 0; r < count; r++) {
    const good = rng.chance(quality)
    out.push({
      receiptCid: `${cidPrefix}:${executor}:${subject}:${r}`,
      executorOrg: orgId(executor),
      subjectAgent: agentOf(r),
      subjectOrg: orgId(subject),
      outcome: good ? 'ok' : FAILURES[rng.int(FAILURES.length)],
      at: NOW - Math.floor(rng.next() * spanMs)
    })
  }
  return out
}

/** Honest executor's local trust in each subject org, from the receipts it holds. */
function honestEdges (records: readonly EvidenceRecord[], score: LocalScoreOptions | undefined, by: (r: EvidenceRecord) => string): TrustEdge[] {
  const { accepted } = admitEvidence(records, { now: NOW })
  const groups = new Map<string, EvidenceRecord[]>()
  for (const r of accepted) {
    const key = `${r.executorOrg}\u0000${by(r)}`
    let g = groups.get(key)
    if (g === undefined) { g = []; groups.set(key, g) }
    g.push(r)
  }
  const edges: TrustEdge[] = []
  for (const g of groups.values()) {
    edges.push({ from: g[0].executorOrg, to: by(g[0]), weight: localTrustFromScore(localScore(g, NOW, score).score) })
  }
  return edges
}

function run (edges: TrustEdge[], pre: string[], alpha: number | undefined): EigenTrustResult {
  const r = computeEigenTrust(edges, { preTrusted: pre, ...(alpha !== undefined ? { alpha } : {}) })
  if (!r.ok) throw new Error(`simulation EigenTrust failed: ${r.error.code} ${r.error.message}`)
  return r.value
}

/** B7 (collusion) and B8 (camouflage): adversaries' share of the observer's global trust. */
export function simulatePopulation (cfg: PopulationConfig): PopulationResult {
  const rng = createPrng(cfg.seed)
  const n = cfg.orgs
  const nAdv = Math.round(n * cfg.adversaryFraction)
  const nHonest = n - nAdv
  const isAdv = (i: number): boolean => i >= nHonest
  const k = cfg.peersPerOrg ?? 20
  const m = cfg.tasksPerPeer ?? 10
  const qH = cfg.honestQuality ?? 0.95
  const qA = cfg.adversaryQuality ?? (cfg.behaviour === 'collusion' ? 0.05 : 0.5)
  const span = cfg.spanMs ?? 14 * DAY_MS
  const records: EvidenceRecord[] = []
  const edges: TrustEdge[] = []
  for (let i = 0; i < n; i++) {
    const peers = distinctPeers(rng, i, n, k)
    if (isAdv(i)) {
      // adversaries publish top scores for fellow adversaries and nothing for anyone else
      for (let j = nHonest; j < n; j++) if (j !== i) edges.push({ from: orgId(i), to: orgId(j), weight: localTrustFromScore(MAX_SCORE) })
      continue
    }
    for (const j of peers) records.push(...receipts(rng, i, j, m, isAdv(j) ? qA : qH, span, 'r', () => agentId(j, 0)))
  }
  edges.push(...honestEdges(records, cfg.score, r => r.subjectOrg))
  const pre = Array.from({ length: Math.min(cfg.preTrusted ?? 4, nHonest) }, (_, i) => orgId(i))
  const res = run(edges, pre, cfg.alpha)
  let adv = 0
  for (let i = nHonest; i < n; i++) adv += globalTrustOf(res, orgId(i))
  return { adversaryShare: adv, honestShare: 1 - adv, orgs: n, adversaries: nAdv, edges: edges.length, iterations: res.iterations, converged: res.converged }
}

export interface SybilConfig {
  seed: number
  orgs: number
  /** Agent identities the Sybil org mints. Default 100. */
  agents?: number
  peersPerOrg?: number
  tasksPerPeer?: number
  preTrusted?: number
  alpha?: number
}

export interface SybilResult {
  /** Sybil org's total trust (org plus its agents) with one agent, capped model. */
  readonly before: number
  /** Same after minting, capped model. */
  readonly after: number
  /** Uncapped comparison: agents as graph nodes that praise each other, self-statements counted. */
  readonly naiveBefore: number
  readonly naiveAfter: number
}

/**
 * B9: the last org is honest in service but mints agent identities, spreads its work across them,
 * has its own node sign receipts for them, attests to them and has them praise each other.
 */
export function simulateSybil (cfg: SybilConfig): SybilResult {
  const capped = (agents: number): { capped: number, naive: number } => {
    const rng = createPrng(cfg.seed)
    const n = cfg.orgs
    const s = n - 1
    const k = cfg.peersPerOrg ?? 20
    const m = cfg.tasksPerPeer ?? 10
    const records: EvidenceRecord[] = []
    for (let i = 0; i < n; i++) {
      const peers = distinctPeers(rng, i, n, k)
      for (const j of peers) records.push(...receipts(rng, i, j, m, 0.95, 14 * DAY_MS, 'r', r => agentId(j, j === s ? r % agents : 0)))
    }
    // the Sybil org's own node vouches for its agents: self-evidence, must not count
    for (let a = 0; a < agents; a++) records.push(...receipts(rng, s, s, m, 1, DAY_MS, 'self', () => agentId(s, a)))
    const orgEdges = honestEdges(records, undefined, r => r.subjectOrg)
    const agentEdges = honestEdges(records, undefined, r => r.subjectAgent)
    const sybilPraise: TrustEdge[] = []
    for (let a = 0; a < agents; a++) {
      sybilPraise.push({ from: orgId(s), to: agentId(s, a), weight: localTrustFromScore(MAX_SCORE) })
      for (let b = 0; b < agents; b++) if (a !== b) sybilPraise.push({ from: agentId(s, a), to: agentId(s, b), weight: localTrustFromScore(MAX_SCORE) })
    }
    const pre = Array.from({ length: Math.min(cfg.preTrusted ?? 4, n - 1) }, (_, i) => orgId(i))
    const orgOf = (did: string): string => did.split('/')[0]
    const folded = run(foldToOrgs([...orgEdges, ...agentEdges, ...sybilPraise], orgOf), pre, cfg.alpha)
    // uncapped: agent nodes, self-evidence and self-praise counted
    const selfAdmitted = records.filter(r => r.executorOrg === r.subjectOrg)
    const selfEdges: TrustEdge[] = []
    for (let a = 0; a < agents; a++) {
      const mine = selfAdmitted.filter(r => r.subjectAgent === agentId(s, a))
      selfEdges.push({ from: orgId(s), to: agentId(s, a), weight: localTrustFromScore(localScore(mine, NOW).score) })
    }
    const naive = run([...orgEdges, ...agentEdges, ...sybilPraise, ...selfEdges], pre, cfg.alpha)
    let naiveTotal = globalTrustOf(naive, orgId(s))
    for (let a = 0; a < agents; a++) naiveTotal += globalTrustOf(naive, agentId(s, a))
    // capped: the org's agents share the org's trust, so the org total is the org's trust
    return { capped: globalTrustOf(folded, orgId(s)), naive: naiveTotal }
  }
  const b = capped(1)
  const a = capped(cfg.agents ?? 100)
  return { before: b.capped, after: a.capped, naiveBefore: b.naive, naiveAfter: a.naive }
}

/** B10: a random sparse graph of n nodes with `degree` out-edges each and random local trust. */
export function randomTrustGraph (seed: number, n: number, degree: number): TrustEdge[] {
  const rng = createPrng(seed)
  const edges: TrustEdge[] = []
  for (let i = 0; i < n; i++) {
    for (const j of distinctPeers(rng, i, n, degree)) edges.push({ from: `n${i}`, to: `n${j}`, weight: 1 + rng.int(500) })
  }
  return edges
}
