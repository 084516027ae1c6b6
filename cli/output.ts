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
}

export function createOutput (json: boolean): Output {
  return {
    json,
    result (value, human) {
      if (json || human == null) process.stdout.write(JSON.stringify(value, null, 2) + '\n')
      else process.stdout.write(human(value).replace(/\n?$/, '\n'))
    },
    line (text) { process.stdout.write(text + '\n') },
    note (text) { if (!json) process.stderr.write(text + '\n') }
  }
}

/** A plain aligned table. */
export function table (head: string[], rows: Array<Array<string | number | boolean | undefined>>): string {
  const cells = rows.map(r => r.map(c => c === undefined ? '-' : String(c)))
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map(r => (r[i] ?? '').length)))
  const fmt = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  return [fmt(head), ...cells.map(fmt)].join('\n')
}

/** Key/value lines for a single record. */
export function fields (pairs: Array<[string, unknown]>): string {
  const w = Math.max(...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${(k + ':').padEnd(w + 1)} ${v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n')
}
