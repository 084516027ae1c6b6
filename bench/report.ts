/** One figure of the DESIGN.md section 10 report: the measured value beside its target. */
export interface BenchFigure {
  /** DESIGN.md id, e.g. `B1`. */
  id: string
  /** What was measured, e.g. `credential verification, native path`. */
  what: string
  /** Measured value, formatted with its unit, e.g. `12,345/s`. */
  value: string
  /** The target as DESIGN.md states it, e.g. `>= 5,000/s per core`. */
  target: string
  /** Whether the target is met; `undefined` for figures shown for comparison only. */
  met?: boolean
  note?: string
}

export function formatFigures (figures: readonly BenchFigure[]): string {
  const rows = figures.map(f => [f.id, f.what, f.value, f.target, f.met === undefined ? 'info' : f.met ? 'MET' : 'MISSED', f.note ?? ''])
  const head = ['id', 'what', 'measured', 'target', 'result', 'note']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  return [line(head), line(widths.map(w => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

/** Percentile of a sample (nearest rank). */
export function percentile (samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

export function fmtRate (n: number): string {
  return `${Math.round(n).toLocaleString('en-US')}/s`
}
