/**
 * `<data-dir>/config.yaml`: what the flags of `trustmesh node start` set, kept in a file so a service
 * manager starts the node with a bare `node start`. Flags override the file. Validated strictly: an
 * unknown key or a wrong type is an error naming the file and the key (a typo must not silently
 * leave a default in force). `doctor` runs the same check.
 *
 * ```yaml
 * listen: [/ip4/0.0.0.0/tcp/7420]
 * peers: []
 * mdns: true
 * logLevel: info
 * logJson: false
 * metricsListen: 127.0.0.1:9464
 * consoleListen: 127.0.0.1:8420
 * spiffeSocket: unix:///run/spire/agent.sock
 * approvalDeadlineSeconds: 3600
 * ```
 */
import { parse } from 'yaml'
import { readRegularFile } from '../identity/regular-file.js'

export interface ConfigFile {
  listen?: string[]
  peers?: string[]
  mdns?: boolean
  logLevel?: 'debug' | 'info' | 'warn' | 'error'
  logJson?: boolean
  metricsListen?: string
  consoleListen?: string
  spiffeSocket?: string
  approvalDeadlineSeconds?: number
}

export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError'
  readonly code = 'INVALID_CONFIG'
  constructor (readonly file: string, readonly key: string | undefined, message: string) {
    super(`${file}${key != null ? `: ${key}` : ''}: ${message}`)
  }
}

type Kind = 'strings' | 'boolean' | 'string' | 'level' | 'seconds'
const KEYS: Record<keyof ConfigFile, Kind> = {
  listen: 'strings', peers: 'strings', mdns: 'boolean', logLevel: 'level', logJson: 'boolean',
  metricsListen: 'string', consoleListen: 'string', spiffeSocket: 'string', approvalDeadlineSeconds: 'seconds'
}
const LEVELS = new Set(['debug', 'info', 'warn', 'error'])

function checkValue (file: string, key: string, kind: Kind, v: unknown): unknown {
  const wrong = (what: string): never => { throw new ConfigFileError(file, key, `must be ${what}, got ${JSON.stringify(v)}`) }
  switch (kind) {
    case 'strings': {
      const list = typeof v === 'string' ? [v] : v
      if (!Array.isArray(list) || list.some(s => typeof s !== 'string' || s === '')) return wrong('a string or a list of strings')
      return list
    }
    case 'boolean': return typeof v === 'boolean' ? v : wrong('true or false')
    case 'string': return typeof v === 'string' && v !== '' ? v : wrong('a non-empty string')
    case 'level': return typeof v === 'string' && LEVELS.has(v) ? v : wrong('debug, info, warn or error')
    case 'seconds': return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : wrong('a positive number of seconds')
  }
}

/** Validate a parsed config document. */
export function validateConfigFile (value: unknown, file: string): ConfigFile {
  if (value == null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigFileError(file, undefined, 'must be a mapping of setting -> value')
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    const kind = (KEYS as Record<string, Kind | undefined>)[k]
    if (kind == null) throw new ConfigFileError(file, k, `unknown setting (known: ${Object.keys(KEYS).join(', ')})`)
    out[k] = checkValue(file, k, kind, v)
  }
  return out as ConfigFile
}

/** Read and validate `file`; an absent file is an empty config. */
export async function readConfigFile (file: string, options: { signal?: AbortSignal } = {}): Promise<ConfigFile> {
  let text: string
  try {
    text = await readRegularFile(file, { ...(options.signal != null ? { signal: options.signal } : {}) })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new ConfigFileError(file, undefined, `cannot be read: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = parse(text)
  } catch (err) {
    throw new ConfigFileError(file, undefined, `is not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  return validateConfigFile(parsed, file)
}
