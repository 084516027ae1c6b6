/**
 * The CLI's output layer: human tables by default, `--json` for scripts; errors as one line on
 * stderr (never a stack); exit codes 0 success, 1 denied or failed check, 2 usage error.
 */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

/** Thrown by commands to end with a message and an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor (message: string, readonly exitCode: number = EXIT_FAILED, readonly code?: string) {
    super(message)
  }
}

export class UsageError extends CliError {
  constructor (message: string) {
    super(message, EXIT_USAGE, 'USAGE')
  }
}

export interface Output {
  json: boolean
  /** Print a value: as JSON with --json, else through `human`. */
  result: (value: unknown, human?: (value: any) => string) => void
  line: (text: string) => void
  /** Progress or notes for humans: stderr, suppressed with --json. */
  note: (text: string) => void
  /** A table that fits TABLE_WIDTH columns (wide fields shortened in the middle), or in full with --wide. */
  table: (head: string[], rows: Array<Array<string | number | boolean | undefined>>) => string
}

export function createOutput (json: boolean, wide = false): Output {
  return {
    json,
    table: (head, rows) => table(head, rows, wide ? Infinity : TABLE_WIDTH),
    result (value, human) {
      if (json || human == null) process.stdout.write(JSON.stringify(value, null, 2) + '\n')
      else process.stdout.write(human(value).replace(/\n?$/, '\n'))
    },
    line (text) { process.stdout.write(text + '\n') },
    note (text) { if (!json) process.stderr.write(text + '\n') }
  }
}

/** Tables fit a terminal of this many columns unless `--wide`. */
export const TABLE_WIDTH = 100
const GAP = 2
/** A shortened column keeps at least this many characters (enough for `did:key:z6…abcd`). */
const MIN_COLUMN = 12

/** `did:key:z6MkhaXg…Vx9q`: prefix and suffix kept, so shortened DIDs and ids stay recognisable. */
export function shorten (text: string, width: number): string {
  if (text.length <= width) return text
  if (width <= 1) return '…'.slice(0, width)
  const tail = Math.floor((width - 1) / 3)
  return text.slice(0, width - 1 - tail) + '…' + text.slice(text.length - tail)
}

/** Column widths that fit `maxWidth`: the widest column gives way first, never below MIN_COLUMN. */
function fitWidths (natural: number[], head: string[], maxWidth: number): number[] {
  const widths = [...natural]
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1)
  while (total() > maxWidth) {
    let widest = 0
    for (let i = 1; i < widths.length; i++) if (widths[i] > widths[widest]) widest = i
    const floor = Math.max(MIN_COLUMN, head[widest].length)
    if (widths[widest] <= floor) break
    widths[widest] = Math.max(floor, widths[widest] - (total() - maxWidth))
  }
  return widths
}

/** A plain aligned table, at most `maxWidth` columns wide when it can be (Infinity: every field in full). */
export function table (head: string[], rows: Array<Array<string | number | boolean | undefined>>, maxWidth = TABLE_WIDTH): string {
  const full = rows.map(r => r.map(c => c === undefined ? '-' : String(c)))
  const natural = head.map((h, i) => Math.max(h.length, ...full.map(r => (r[i] ?? '').length)))
  const widths = fitWidths(natural, head, maxWidth)
  const cells = full.map(r => r.map((c, i) => shorten(c, widths[i] ?? c.length)))
  const fmt = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  return [fmt(head), ...cells.map(fmt)].join('\n')
}

/** Key/value lines for a single record. */
export function fields (pairs: Array<[string, unknown]>): string {
  const w = Math.max(...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${(k + ':').padEnd(w + 1)} ${v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n')
}
