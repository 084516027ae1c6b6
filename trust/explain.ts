/**
 * Why a party has the global trust it has, for `trustmesh trust show`: who passed it trust and how
 * much (the terms of the EigenTrust fixed-point equation), and the strongest chain of trust from the
 * pre-trusted set to it (the path maximising the product of normalised local trust c_ij).
 */
import { globalTrustToScore, type EigenTrustResult } from './eigentrust.js'
import { tierOf, type Tier } from './tiers.js'

export interface Contribution {
  /** The node whose trust flowed in, or the pre-trusted teleport. */
  readonly source: string
  readonly kind: 'edge' | 'pretrusted'
  /** Amount of global trust this term adds to the subject. */
  readonly amount: number
  /** amount / subject's trust. */
  readonly fraction: number
}

export interface PathStep {
  readonly from: string
  readonly to: string
  /** Normalised local trust c_from,to. */
  readonly localTrust: number
}

export interface TrustExplanation {
  readonly subject: string
  readonly known: boolean
  readonly trust: number
  readonly score: number
  readonly tier: Tier
  readonly preTrusted: boolean
  /** Strongest path from a pre-trusted node; empty if the subject is pre-trusted or unreachable. */
  readonly path: readonly PathStep[]
  /** Product of localTrust along the path (1 for a pre-trusted subject, 0 if unreachable). */
  readonly pathStrength: number
  /** Largest contributions first. */
  readonly contributions: readonly Contribution[]
}

export const PRETRUSTED_SOURCE = '(pre-trusted)'

/** Terms of t_j = (1-a) sum_i t_i c_ij + ((1-a) dangling + a) p_j, largest first. */
export function contributionsTo (result: EigenTrustResult, subject: string): Contribution[] {
  const { graph, trust, p, alpha } = result
  const j = graph.index.get(subject)
  if (j === undefined) return []
  const tj = trust[j]
  const frac = (x: number): number => tj > 0 ? x / tj : 0
  const out: Contribution[] = []
  let dangling = 0
  for (let i = 0; i < graph.ids.length; i++) {
    const start = graph.rowPtr[i]
    const end = graph.rowPtr[i + 1]
    if (start === end) { dangling += trust[i]; continue }
    for (let k = start; k < end; k++) {
      if (graph.col[k] !== j) continue
      const amount = (1 - alpha) * trust[i] * graph.val[k]
      if (amount > 0) out.push({ source: graph.ids[i], kind: 'edge', amount, fraction: frac(amount) })
    }
  }
  const tele = ((1 - alpha) * dangling + alpha) * p[j]
  if (tele > 0) out.push({ source: PRETRUSTED_SOURCE, kind: 'pretrusted', amount: tele, fraction: frac(tele) })
  return out.sort((a, b) => b.amount - a.amount)
}

/** Max-product path from any pre-trusted node (Dijkstra; every factor is <= 1). */
function strongestPath (result: EigenTrustResult, target: number): { path: PathStep[], strength: number } {
  const { graph, p } = result
  const n = graph.ids.length
  const best = new Float64Array(n)
  const prev = new Int32Array(n).fill(-1)
  const done = new Uint8Array(n)
  for (let i = 0; i < n; i++) if (p[i] > 0) best[i] = 1
  for (;;) {
    let u = -1
    for (let i = 0; i < n; i++) if (done[i] === 0 && best[i] > 0 && (u === -1 || best[i] > best[u])) u = i
    if (u === -1 || u === target) break
    done[u] = 1
    for (let k = graph.rowPtr[u]; k < graph.rowPtr[u + 1]; k++) {
      const v = graph.col[k]
      const s = best[u] * graph.val[k]
      if (done[v] === 0 && s > best[v]) { best[v] = s; prev[v] = u }
    }
  }
  if (best[target] === 0) return { path: [], strength: 0 }
  const path: PathStep[] = []
  for (let v = target; prev[v] !== -1; v = prev[v]) {
    const u = prev[v]
    let c = 0
    for (let k = graph.rowPtr[u]; k < graph.rowPtr[u + 1]; k++) if (graph.col[k] === v) c = graph.val[k]
    path.unshift({ from: graph.ids[u], to: graph.ids[v], localTrust: c })
  }
  return { path, strength: best[target] }
}

export function explainTrust (result: EigenTrustResult, subject: string, maxContributions = 10): TrustExplanation {
  const j = result.graph.index.get(subject)
  const n = result.graph.ids.length
  if (j === undefined) {
    return { subject, known: false, trust: 0, score: 0, tier: tierOf(0), preTrusted: false, path: [], pathStrength: 0, contributions: [] }
  }
  const trust = result.trust[j]
  const score = globalTrustToScore(trust, n)
  const { path, strength } = strongestPath(result, j)
  return {
    subject,
    known: true,
    trust,
    score,
    tier: tierOf(score),
    preTrusted: result.p[j] > 0,
    path,
    pathStrength: strength,
    contributions: contributionsTo(result, subject).slice(0, maxContributions)
  }
}
