/**
 * Namespaced logger injected into every component (`trustmesh:task`, `trustmesh:hello`, ...).
 * Library code never writes to the console; the CLI decides where lines go. Never pass keys, tokens
 * or raw peer bytes to a logger.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  readonly namespace: string
  debug: (message: string, fields?: Record<string, unknown>) => void
  info: (message: string, fields?: Record<string, unknown>) => void
  warn: (message: string, fields?: Record<string, unknown>) => void
  error: (message: string, fields?: Record<string, unknown>) => void
  child: (name: string) => Logger
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface LoggerOptions {
  level?: LogLevel
  /** Where lines go; default: standard error. */
  write?: (line: string) => void
  json?: boolean
}

export function createLogger (namespace = 'trustmesh', options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info']
  const write = options.write ?? ((line: string) => { process.stderr.write(line + '\n') })
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return
    if (options.json === true) {
      write(JSON.stringify({ time: new Date().toISOString(), level, ns: namespace, msg: message, ...fields }))
      return
    }
    const extra = fields == null ? '' : ' ' + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
    write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${namespace} ${message}${extra}`)
  }
  return {
    namespace,
    debug: (m, f) => { emit('debug', m, f) },
    info: (m, f) => { emit('info', m, f) },
    warn: (m, f) => { emit('warn', m, f) },
    error: (m, f) => { emit('error', m, f) },
    child: (name) => createLogger(`${namespace}:${name}`, options)
  }
}

/** A logger that drops everything (tests, benchmarks). */
export function silentLogger (namespace = 'trustmesh'): Logger {
  const noop = (): void => {}
  return { namespace, debug: noop, info: noop, warn: noop, error: noop, child: (n) => silentLogger(`${namespace}:${n}`) }
}
