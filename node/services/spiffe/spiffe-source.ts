/**
 * The node's own X509-SVID, kept current from the Workload API. Each snapshot is validated against
 * the SVID's own trust bundle before it is offered; an invalid or expired one leaves the node with no
 * SVID rather than a stale or bad one, so the node never claims SPIFFE verification it cannot back.
 */
import { systemClock, type Clock } from '../../../identity/clock.js'
import { silentLogger, type Logger } from '../../../identity/logger.js'
import { systemTimers, type BackoffOptions, type Timers } from './backoff.js'
import { SpiffeAbortedError, SpiffeNoSvidError, SpiffeRejectedError, SpiffeUnavailableError } from './errors.js'
import { validateX509Svid } from './validate-svid.js'
import { createWorkloadApiClient, type WorkloadApiClient } from './workload-api-client.js'
import type { X509Svid, X509SvidSnapshot } from './x509-svid.js'

export const DEFAULT_READY_TIMEOUT_MS = 10_000

export interface SpiffeSourceOptions {
  /** `unix:///path` or `tcp://ip:port`; default `SPIFFE_ENDPOINT_SOCKET`. */
  socket?: string
  env?: NodeJS.ProcessEnv
  logger?: Logger
  signal?: AbortSignal
  clock?: Clock
  backoff?: BackoffOptions
  timers?: Timers
}

export interface SpiffeSource {
  /** The endpoint as configured. */
  readonly address: string
  /** The current valid SVID, or undefined (none yet, invalid, expired, or closed). */
  current: () => X509Svid | undefined
  /** Resolves with a valid SVID; rejects SpiffeUnavailableError after `timeoutMs`, SpiffeRejectedError at once on InvalidArgument. */
  ready: (timeoutMs?: number) => Promise<X509Svid>
  /** Register for rotations; returns an unsubscribe function. */
  onUpdate: (listener: (svid: X509Svid | undefined) => void) => () => void
  close: () => void
}

/** Start watching the Workload API. Throws at once for a missing or malformed socket address. */
export function createSpiffeSource (options: SpiffeSourceOptions = {}, deps: { client?: WorkloadApiClient } = {}): SpiffeSource {
  const logger = options.logger ?? silentLogger('trustmesh:spiffe')
  const clock = options.clock ?? systemClock
  const timers = options.timers ?? systemTimers
  const client = deps.client ?? createWorkloadApiClient({
    socket: options.socket, env: options.env, logger, backoff: options.backoff, timers
  })
  let latest: X509Svid | undefined
  let fatal: Error | undefined
  let lastError: Error | undefined
  let closed = false
  const listeners = new Set<(svid: X509Svid | undefined) => void>()
  const notify = (): void => {
    for (const l of [...listeners]) {
      try { l(current()) } catch (err) { logger.error('SPIFFE listener threw', { error: (err as Error).message }) }
    }
  }

  const current = (): X509Svid | undefined => {
    if (closed || latest == null) return undefined
    const now = clock.now()
    return now <= latest.notAfter ? latest : undefined
  }

  const accept = (snapshot: X509SvidSnapshot): void => {
    const svid = snapshot.svid
    const v = validateX509Svid(svid.chain, svid.bundle, { trustDomain: svid.trustDomain, expectedSpiffeId: svid.spiffeId, now: clock.now() })
    if (v.ok) {
      latest = { ...svid, notAfter: v.value.notAfter }
      lastError = undefined
      logger.info('X509-SVID updated', { spiffeId: svid.spiffeId, notAfter: new Date(v.value.notAfter).toISOString() })
    } else {
      latest = undefined
      lastError = new SpiffeNoSvidError(`Workload API sent an SVID that does not validate against its own bundle: ${v.error.code}: ${v.error.message}`)
      logger.warn('X509-SVID from the Workload API is invalid; holding none', { code: v.error.code, reason: v.error.message })
    }
    notify()
  }

  const watch = client.watchX509Svid(accept, {
    signal: options.signal,
    onError: (err, isFatal) => {
      lastError = err
      if (isFatal) {
        fatal = err
        latest = undefined
        notify()
      }
    }
  })

  const close = (): void => {
    if (closed) return
    closed = true
    watch.close()
    if (deps.client == null) client.close()
    notify()
    listeners.clear()
  }
  options.signal?.addEventListener('abort', close, { once: true })

  const ready = async (timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<X509Svid> => {
    const now = current()
    if (now != null) return now
    if (closed) throw new SpiffeAbortedError('SPIFFE source is closed')
    if (fatal != null) throw fatal
    return await new Promise<X509Svid>((resolve, reject) => {
      let unsubscribe = (): void => {}
      const timer = timers.setTimeout(() => {
        unsubscribe()
        reject(new SpiffeUnavailableError(`no valid X509-SVID from the Workload API at ${client.address.address} within ${timeoutMs} ms${lastError != null ? `: ${lastError.message}` : ''}`, { cause: lastError }))
      }, timeoutMs)
      unsubscribe = subscribe(svid => {
        const done = (fn: () => void): void => { timers.clearTimeout(timer); unsubscribe(); fn() }
        if (svid != null) done(() => { resolve(svid) })
        else if (closed) done(() => { reject(new SpiffeAbortedError('SPIFFE source is closed')) })
        else if (fatal != null) { const f = fatal; done(() => { reject(f instanceof SpiffeRejectedError ? f : new SpiffeRejectedError(f.message, { cause: f })) }) }
      })
    })
  }

  const subscribe = (listener: (svid: X509Svid | undefined) => void): () => void => {
    listeners.add(listener)
    return () => { listeners.delete(listener) }
  }

  return { address: client.address.address, current, ready, onUpdate: subscribe, close }
}
