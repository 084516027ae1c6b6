/**
 * `npm run bench`: runs every benchmark of DESIGN.md section 10 that exists in this tree, one after
 * the other, and prints all figures in one table beside their targets. Benchmarks are imported
 * dynamically, so one that is missing (not written yet) or that fails is reported in the table, not
 * fatal. A missed target is a reported result, not an error: the exit code is 0.
 */
import '../node/polyfill.js'
import { formatFigures, type BenchFigure } from './report.js'

interface BenchEntry {
  ids: string
  what: string
  module: string
  run: string
}

const BENCHES: BenchEntry[] = [
  { ids: 'B1', what: 'credential verification', module: './b1-credentials.js', run: 'runB1' },
  { ids: 'B2', what: 'delegation chain depth 5', module: './b2-chain.js', run: 'runB2' },
  { ids: 'B3', what: 'store writes / reads', module: './b3-store.js', run: 'runB3' },
  { ids: 'B4/B6/B11', what: 'mesh connect, refusals, memory', module: './b4-b6-b11-mesh.js', run: 'runB4B6B11' },
  { ids: 'B5', what: 'trust gossip to 200 nodes', module: './b5-gossip.js', run: 'runB5' },
  { ids: 'B7-B10', what: 'trust engine', module: './b7-b10-trust.js', run: 'runB7toB10' },
  { ids: 'B12', what: 'tasks between two node processes', module: './b12-tasks.js', run: 'runB12' },
  { ids: 'B13', what: 'sagas across 3 orgs', module: './b13-sagas.js', run: 'runB13' }
]

function firstLine (err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]
}

async function runOne (b: BenchEntry): Promise<BenchFigure[]> {
  let mod: Record<string, unknown>
  try {
    mod = await import(b.module) as Record<string, unknown>
  } catch (err) {
    const code = (err as { code?: string }).code
    const missing = code === 'ERR_MODULE_NOT_FOUND' && firstLine(err).includes(b.module.slice(2))
    return [{ id: b.ids, what: b.what, value: 'not available', target: '-', note: missing ? `${b.module} is not in this build` : `cannot load ${b.module}: ${firstLine(err)}` }]
  }
  const run = mod[b.run]
  if (typeof run !== 'function') return [{ id: b.ids, what: b.what, value: 'not available', target: '-', note: `${b.module} has no ${b.run}()` }]
  const t0 = Date.now()
  try {
    const figures = await (run as () => Promise<BenchFigure[]>)()
    process.stderr.write(`${b.ids}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
    return figures
  } catch (err) {
    process.stderr.write(`${b.ids}: failed after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${firstLine(err)}\n`)
    return [{ id: b.ids, what: b.what, value: 'failed', target: '-', met: false, note: firstLine(err) }]
  }
}

async function main (): Promise<void> {
  const only = process.argv.slice(2).map(s => s.toUpperCase())
  const figures: BenchFigure[] = []
  for (const b of BENCHES) {
    if (only.length > 0 && !only.some(o => b.ids.split(/[/-]/).includes(o) || b.ids === o)) continue
    process.stderr.write(`${b.ids}: ${b.what}...\n`)
    figures.push(...await runOne(b))
  }
  process.stdout.write(formatFigures(figures) + '\n')
  const missed = figures.filter(f => f.met === false).length
  process.stdout.write(`\n${figures.filter(f => f.met === true).length} met, ${missed} missed, ${figures.filter(f => f.met === undefined).length} for information\n`)
}

await main()
process.exit(0)
