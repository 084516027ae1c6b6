/**
 * DESIGN.md B7-B10: the trust model against collusion, camouflage and Sybil minting (seeded
 * simulations at N = 200), and personalised EigenTrust convergence time at N = 1,000.
 */
import { performance } from 'node:perf_hooks'
import { compileTrustGraph, eigenTrust } from '../trust/eigentrust.js'
import { randomTrustGraph, simulatePopulation, simulateSybil } from '../trust/simulate.js'
import { percentile, type BenchFigure } from './report.js'

const SEEDS = [1, 2, 3]
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`

function worstShare (behaviour: 'collusion' | 'camouflage', extra: { tasksPerPeer?: number } = {}): { share: number, iterations: number } {
  let share = 0
  let iterations = 0
  for (const seed of SEEDS) {
    const r = simulatePopulation({ seed, orgs: 200, adversaryFraction: 0.3, behaviour, ...extra })
    if (!r.converged) throw new Error(`simulation seed ${seed} did not converge`)
    share = Math.max(share, r.adversaryShare)
    iterations = Math.max(iterations, r.iterations)
  }
  return { share, iterations }
}

export async function runB7toB10 (): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = []
  const b7 = worstShare('collusion')
  figures.push({ id: 'B7', what: '30% of 200 orgs collude (praise only each other, serve others at 5%)', value: pct(b7.share), target: '<= 1%', met: b7.share <= 0.01, note: `worst of seeds ${SEEDS.join(',')}` })
  const b8 = worstShare('camouflage')
  figures.push({ id: 'B8', what: '30% of 200 orgs camouflage (serve well 50%, praise each other)', value: pct(b8.share), target: '<= 15%', met: b8.share <= 0.15, note: '10 receipts per pair' })
  const b8b = worstShare('camouflage', { tasksPerPeer: 30 })
  figures.push({ id: 'B8', what: 'same, 30 receipts per pair', value: pct(b8b.share), target: '<= 15%', met: b8b.share <= 0.15 })

  const sy = simulateSybil({ seed: 1, orgs: 200, agents: 100 })
  const growth = sy.after / sy.before
  figures.push({ id: 'B9', what: 'one of 200 orgs mints 100 agents (self-receipts, self-attestations, mutual praise)', value: `x${growth.toFixed(4)} (${pct(sy.before)} -> ${pct(sy.after)})`, target: 'does not grow', met: sy.after <= sy.before * (1 + 1e-9), note: `uncapped model: ${pct(sy.naiveBefore)} -> ${pct(sy.naiveAfter)}` })

  const edges = randomTrustGraph(1, 1000, 20)
  const pre = ['n0', 'n1', 'n2', 'n3']
  const totals: number[] = []
  const iterOnly: number[] = []
  let converged = true
  let residual = 0
  let iterations = 0
  for (let run = 0; run < 23; run++) {
    const t0 = performance.now()
    const g = compileTrustGraph(edges, pre)
    if (!g.ok) throw new Error(g.error.message)
    const t1 = performance.now()
    const r = eigenTrust(g.value, { preTrusted: pre, epsilon: 1e-6 })
    const t2 = performance.now()
    if (!r.ok) throw new Error(r.error.message)
    if (run < 3) continue
    totals.push(t2 - t0)
    iterOnly.push(t2 - t1)
    converged &&= r.value.converged
    residual = r.value.residual
    iterations = r.value.iterations
  }
  const p50 = percentile(totals, 50)
  const p95 = percentile(totals, 95)
  figures.push({ id: 'B10', what: 'EigenTrust N = 1,000, 20,000 edges (compile + iterate)', value: `p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`, target: 'L1 < 1e-6 in < 100 ms', met: converged && p95 < 100, note: `${iterations} iterations, L1 ${residual.toExponential(1)}, iterate only p50 ${percentile(iterOnly, 50).toFixed(2)} ms` })
  return figures
}
