/** What every command gets: the data directory, the output layer, and a client of the running node. */
import { InvalidArgumentError, type Command } from 'commander'
import { createOutput, type Output } from './output.js'
import { DEFAULT_DATA_DIR } from '../node/data-dir.js'

export interface GlobalOptions {
  dataDir: string
  json: boolean
  wide: boolean
}

export interface CliContext {
  dataDir: string
  out: Output
}

export function contextOf (cmd: Command): CliContext {
  const o = cmd.optsWithGlobals() as Partial<GlobalOptions>
  const dataDir = o.dataDir ?? process.env.TRUSTMESH_DATA_DIR ?? DEFAULT_DATA_DIR
  return { dataDir, out: createOutput(o.json === true, o.wide === true) }
}

/** Parse an integer option strictly. */
export function intOption (name: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    // commander reports InvalidArgumentError as a usage error (exit 2)
    if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be an integer, got ${JSON.stringify(v)}`)
    const n = Number(v)
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be from ${min} to ${max}, got ${n}`)
    return n
  }
}

/** Parse a duration such as 90s, 15m, 12h, 30d into seconds. */
export function parseDuration (text: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim())
  if (m == null) throw new Error(`invalid duration ${JSON.stringify(text)} (use e.g. 90s, 15m, 12h, 30d)`)
  const n = Number(m[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? 's'] ?? 1)
  if (n <= 0) throw new Error('duration must be positive')
  return n
}

export function collect (value: string, previous: string[] = []): string[] {
  return [...previous, value]
}
