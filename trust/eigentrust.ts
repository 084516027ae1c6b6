/**
 * Personalised EigenTrust (Kamvar, Schlosser, Garcia-Molina 2003) over a sparse graph of local trust.
 * Nodes are orgs (agents are folded into their org first, see sybil-cap.ts); an edge i -> j carries
 * i's local trust in j, s_ij >= 0 (from a local score: max(score - TRUST_FLOOR, 0)). Rows are
 * normalised to c_ij = s_ij / sum_j s_ij, and
 *
 *   t(k+1) = (1 - a) C^T t(k) + a p,     t(0) = p
 *
 * where p is the pre-trusted distribution (the node itself plus partners its operator marks). A row
 * with no outgoing trust hands its mass to p, so trust only ever enters the graph through parties
 * the observer chose to trust: a clique that praises only itself receives nothing unless someone the
 * observer trusts rates it well. Iterates until the L1 change is below epsilon (default 1e-6).
 */
import { fail, ok, type Result } from '../identity/result.js'

export interface TrustEdge {
  readonly from: string
  readonly to: string
  /** Unnormalised local trust of `from` in `to`, finite and >= 0. */
  readonly weight: number
}

/** CSR form of the row-normalised local trust matrix C. */
export interface CompiledTrustGraph {
  readonly ids: readonly string[]
  readonly index: ReadonlyMap<string, number>
  /** Row i's edges are rowPtr[i] .. rowPtr[i+1]-1. */
  readonly rowPtr: Int32Array
  readonly col: Int32Array
  /** Normalised c_ij; each non-empty row sums to 1. */
  readonly val: Float64Array
}

export interface EigenTrustOptions {
  /** Pre-trusted parties, equally weighted, or with explicit non-negative weights. */
  preTrusted: readonly string[] | ReadonlyMap<string, number>
  /** Teleport weight a toward p. Default 0.15. */
  alpha?: number
  /** Stop when the L1 change of t is below this. Default 1e-6. */
  epsilon?: number
  /** Default 1000. */
  maxIterations?: number
}

export interface EigenTrustResult {
  readonly graph: CompiledTrustGraph
  /** Global trust per node, in graph.ids order; sums to 1. */
  readonly trust: Float64Array
  /** The pre-trusted distribution used. */
  readonly p: Float64Array
  readonly alpha: number
  readonly iterations: number
  /** L1 change of the last iteration. */
  readonly residual: number
  readonly converged: boolean
}

export const EigenTrustErrorCode = {
  INVALID_GRAPH: 'INVALID_GRAPH',
  NO_PRETRUSTED: 'NO_PRETRUSTED',
  NOT_CONVERGED: 'NOT_CONVERGED'
} as const

/**
 * Build the CSR matrix. Self-edges are dropped (nobody vouches for itself); a repeated (from, to)
 * keeps its largest weight, so sending the same praise twice changes nothing. `extraNodes` adds
 * nodes without edges (e.g. the pre-trusted set).
 */
export function compileTrustGraph (edges: Iterable<TrustEdge>, extraNodes: Iterable<string> = []): Result<CompiledTrustGraph> {
  const index = new Map<string, number>()
  const ids: string[] = []
  const id = (s: string): number => {
    let i = index.get(s)
    if (i === undefined) { i = ids.length; ids.push(s); index.set(s, i) }
    return i
  }
  const rows: Array<Map<number, number>> = []
  for (const e of edges) {
    if (typeof e.from !== 'string' || typeof e.to !== 'string' || e.from.length === 0 || e.to.length === 0) return fail(EigenTrustErrorCode.INVALID_GRAPH, 'edge endpoints must be non-empty strings')
    if (typeof e.weight !== 'number' || !Number.isFinite(e.weight) || e.weight < 0) return fail(EigenTrustErrorCode.INVALID_GRAPH, `edge ${e.from} -> ${e.to} has weight ${String(e.weight)}; weights must be finite and >= 0`)
    const i = id(e.from)
    const j = id(e.to)
    if (i === j || e.weight === 0) continue
    while (rows.length <= i) rows.push(new Map())
    const row = rows[i]
    row.set(j, Math.max(row.get(j) ?? 0, e.weight))
  }
  for (const s of extraNodes) id(s)
  const n = ids.length
  const rowPtr = new Int32Array(n + 1)
  let nnz = 0
  for (let i = 0; i < n; i++) { rowPtr[i] = nnz; nnz += rows[i]?.size ?? 0 }
  rowPtr[n] = nnz
  const col = new Int32Array(nnz)
  const val = new Float64Array(nnz)
  for (let i = 0; i < n; i++) {
    const row = rows[i]
    if (row === undefined || row.size === 0) continue
    let sum = 0
    for (const w of row.values()) sum += w
    let k = rowPtr[i]
    for (const [j, w] of [...row.entries()].sort((a, b) => a[0] - b[0])) { col[k] = j; val[k] = w / sum; k++ }
  }
  return ok({ ids, index, rowPtr, col, val })
}

function preTrustedVector (graph: CompiledTrustGraph, pre: EigenTrustOptions['preTrusted']): Result<Float64Array> {
  const p = new Float64Array(graph.ids.length)
  const entries: Array<[string, number]> = Array.isArray(pre) ? (pre as readonly string[]).map(s => [s, 1]) : [...(pre as ReadonlyMap<string, number>).entries()]
  let sum = 0
  for (const [s, w] of entries) {
    if (!Number.isFinite(w) || w < 0) return fail(EigenTrustErrorCode.NO_PRETRUSTED, `pre-trusted weight of ${s} must be finite and >= 0`)
    const i = graph.index.get(s)
    if (i === undefined) return fail(EigenTrustErrorCode.NO_PRETRUSTED, `pre-trusted ${s} is not in the graph`)
    p[i] += w
    sum += w
  }
  if (!(sum > 0)) return fail(EigenTrustErrorCode.NO_PRETRUSTED, 'the pre-trusted set is empty: nothing to anchor trust on')
  for (let i = 0; i < p.length; i++) p[i] /= sum
  return ok(p)
}

/** Run the power iteration on a compiled graph. */
export function eigenTrust (graph: CompiledTrustGraph, options: EigenTrustOptions): Result<EigenTrustResult> {
  const alpha = options.alpha ?? 0.15
  const epsilon = options.epsilon ?? 1e-6
  const maxIterations = options.maxIterations ?? 1000
  if (!(alpha > 0 && alpha <= 1)) return fail(EigenTrustErrorCode.INVALID_GRAPH, 'alpha must be in (0, 1]')
  const pr = preTrustedVector(graph, options.preTrusted)
  if (!pr.ok) return pr
  const p = pr.value
  const n = graph.ids.length
  const { rowPtr, col, val } = graph
  let t = Float64Array.from(p)
  let next = new Float64Array(n)
  const keep = 1 - alpha
  let residual = Infinity
  let iterations = 0
  while (iterations < maxIterations) {
    next.fill(0)
    let dangling = 0
    for (let i = 0; i < n; i++) {
      const ti = t[i]
      const start = rowPtr[i]
      const end = rowPtr[i + 1]
      if (start === end) { dangling += ti; continue }
      if (ti === 0) continue
      for (let k = start; k < end; k++) next[col[k]] += ti * val[k]
    }
    residual = 0
    const teleport = keep * dangling + alpha
    for (let j = 0; j < n; j++) {
      const v = keep * next[j] + teleport * p[j]
      next[j] = v
      residual += Math.abs(v - t[j])
    }
    const swap = t; t = next; next = swap
    iterations++
    if (residual < epsilon) break
  }
  return ok({ graph, trust: t, p, alpha, iterations, residual, converged: residual < epsilon })
}

/** Compile and run; fails closed with NOT_CONVERGED when the iteration limit is hit. */
export function computeEigenTrust (edges: Iterable<TrustEdge>, options: EigenTrustOptions): Result<EigenTrustResult> {
  const pre = Array.isArray(options.preTrusted) ? options.preTrusted as readonly string[] : [...(options.preTrusted as ReadonlyMap<string, number>).keys()]
  const g = compileTrustGraph(edges, pre)
  if (!g.ok) return g
  const r = eigenTrust(g.value, options)
  if (!r.ok) return r
  if (!r.value.converged) return fail(EigenTrustErrorCode.NOT_CONVERGED, `no convergence after ${r.value.iterations} iterations (L1 change ${r.value.residual})`)
  return r
}

/** Global trust of a node, 0 for a node the graph does not know. */
export function globalTrustOf (result: EigenTrustResult, id: string): number {
  const i = result.graph.index.get(id)
  return i === undefined ? 0 : result.trust[i]
}

/**
 * Display mapping of global trust to 0..1000. With r = t * N (1 = an average share),
 * score = round(1000 * r / (r + 1)): no trust is 0, an average share 500 (standard), 2.33x the
 * average 700 (trusted), 9x the average 900 (verified). Monotone, so ranks are preserved.
 */
export function globalTrustToScore (trust: number, nodeCount: number): number {
  if (!Number.isFinite(trust) || trust <= 0 || !(nodeCount > 0)) return 0
  const r = trust * nodeCount
  return Math.round(1000 * r / (r + 1))
}
