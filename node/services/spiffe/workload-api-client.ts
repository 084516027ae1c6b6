/**
 * Client of the SPIFFE Workload API over gRPC (unix socket or tcp IP literal). Every call carries the
 * `workload.spiffe.io: true` header. The X.509 RPCs are server streams whose every message is a full
 * snapshot: watches keep the latest one and reconnect with bounded exponential backoff, except after
 * InvalidArgument, which means we are wrong and retrying cannot help (reported as fatal).
 */
import { credentials, Metadata, status as grpcStatus, type Client, type ClientReadableStream, type ServiceError, type StatusObject } from '@grpc/grpc-js'
import type { Logger } from '../../../identity/logger.js'
import { silentLogger } from '../../../identity/logger.js'
import { Backoff, systemTimers, waitFor, type BackoffOptions, type Timers } from './backoff.js'
import { resolveEndpointAddress, type EndpointAddress } from './endpoint-address.js'
import { SpiffeAbortedError, SpiffeRejectedError, SpiffeUnavailableError, type SpiffeError } from './errors.js'
import {
  workloadApiService, WORKLOAD_HEADER, WORKLOAD_HEADER_VALUE,
  type JwtBundlesResponseMessage, type JwtSvidResponseMessage, type ValidateJwtSvidResponseMessage,
  type X509BundlesResponseMessage, type X509SvidResponseMessage
} from './workload-proto.js'
import { bundlesFromResponse, snapshotFromResponse, type X509SvidSnapshot } from './x509-svid.js'

/** Deadline of unary calls and of the first message of `fetch*` calls, ms. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000

export interface WorkloadApiClientOptions {
  /** `unix:///path` or `tcp://ip:port`; default `SPIFFE_ENDPOINT_SOCKET` from `env`. */
  socket?: string
  env?: NodeJS.ProcessEnv
  logger?: Logger
  backoff?: BackoffOptions
  timers?: Timers
  callTimeoutMs?: number
}

export interface CallOptions {
  signal?: AbortSignal
  timeoutMs?: number
}

export interface WatchOptions {
  signal?: AbortSignal
  /** Every failure; `fatal` means the watch has stopped for good. */
  onError?: (error: SpiffeError | Error, fatal: boolean) => void
}

export interface Watch<T> {
  /** The latest snapshot, undefined before the first one. */
  current: () => T | undefined
  /** Settles when the watch has stopped (closed, aborted or fatal). */
  readonly done: Promise<void>
  close: () => void
}

export interface JwtSvid { readonly spiffeId: string, readonly svid: string, readonly hint: string }
export interface ValidatedJwtSvid { readonly spiffeId: string, readonly claims: Record<string, unknown> }

export interface WorkloadApiClient {
  readonly address: EndpointAddress
  watchX509Svid: (onUpdate: (snapshot: X509SvidSnapshot) => void, options?: WatchOptions) => Watch<X509SvidSnapshot>
  watchX509Bundles: (onUpdate: (bundles: Map<string, Uint8Array[]>) => void, options?: WatchOptions) => Watch<Map<string, Uint8Array[]>>
  fetchX509Svid: (options?: CallOptions) => Promise<X509SvidSnapshot>
  fetchX509Bundles: (options?: CallOptions) => Promise<Map<string, Uint8Array[]>>
  fetchJwtSvid: (request: { audience: readonly string[], spiffeId?: string }, options?: CallOptions) => Promise<JwtSvid[]>
  fetchJwtBundles: (options?: CallOptions) => Promise<Map<string, Uint8Array>>
  validateJwtSvid: (request: { audience: string, svid: string }, options?: CallOptions) => Promise<ValidatedJwtSvid>
  close: () => void
}

type StreamMethod = (request: object, metadata: Metadata) => ClientReadableStream<unknown>
type UnaryMethod = (request: object, metadata: Metadata, options: { deadline: number }, cb: (err: ServiceError | null, res?: unknown) => void) => { cancel: () => void }

function workloadMetadata (): Metadata {
  const md = new Metadata()
  md.set(WORKLOAD_HEADER, WORKLOAD_HEADER_VALUE)
  return md
}

function statusName (code: number): string {
  return grpcStatus[code] ?? String(code)
}

function errorFromStatus (address: string, method: string, s: { code: number, details: string }): SpiffeError {
  const text = `${method} on ${address}: ${statusName(s.code)}${s.details !== '' ? ` (${s.details})` : ''}`
  if (s.code === grpcStatus.INVALID_ARGUMENT) return new SpiffeRejectedError(`Workload API rejected ${text}`)
  if (s.code === grpcStatus.UNAVAILABLE || s.code === grpcStatus.DEADLINE_EXCEEDED) return new SpiffeUnavailableError(`Workload API unavailable: ${text}`)
  return new SpiffeUnavailableError(`Workload API failed: ${text}`)
}

/** google.protobuf.Struct (proto-loader object form) to plain JSON. */
function structToJson (struct: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const fields = (struct as { fields?: Record<string, unknown> } | null)?.fields ?? {}
  for (const [k, v] of Object.entries(fields)) out[k] = valueToJson(v)
  return out
}

function valueToJson (v: unknown): unknown {
  const val = v as { kind?: string, [k: string]: unknown } | null
  switch (val?.kind) {
    case 'nullValue': return null
    case 'numberValue': case 'stringValue': case 'boolValue': return val[val.kind]
    case 'structValue': return structToJson(val.structValue)
    case 'listValue': return ((val.listValue as { values?: unknown[] })?.values ?? []).map(valueToJson)
    default: return undefined
  }
}

function linkSignals (...signals: Array<AbortSignal | undefined>): AbortController {
  const ctrl = new AbortController()
  for (const s of signals) {
    if (s == null) continue
    if (s.aborted) ctrl.abort()
    else s.addEventListener('abort', () => { ctrl.abort() }, { once: true })
  }
  return ctrl
}

/** Create a client. Throws SpiffeNotConfiguredError / SpiffeBadAddressError for a bad address. */
export function createWorkloadApiClient (options: WorkloadApiClientOptions = {}): WorkloadApiClient {
  const address = resolveEndpointAddress(options.socket, options.env)
  const logger = options.logger ?? silentLogger('trustmesh:spiffe')
  const timers = options.timers ?? systemTimers
  const callTimeout = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS
  const Ctor = workloadApiService()
  const grpcClient: Client = new Ctor(address.grpcTarget, credentials.createInsecure(), { 'grpc.enable_retries': 0 })
  const closed = new AbortController()
  const method = <M>(name: string): M => {
    const fn = (grpcClient as unknown as Record<string, (...args: unknown[]) => unknown>)[name]
    return fn.bind(grpcClient) as unknown as M
  }

  function watch<M, T> (name: string, decode: (m: M) => T, onUpdate: (v: T) => void, opts: WatchOptions = {}): Watch<T> {
    const ctrl = linkSignals(closed.signal, opts.signal)
    const backoff = new Backoff(options.backoff)
    let current: T | undefined
    let call: ClientReadableStream<unknown> | undefined
    ctrl.signal.addEventListener('abort', () => { call?.cancel() }, { once: true })
    const report = (err: Error, fatal: boolean): void => {
      try { opts.onError?.(err, fatal) } catch { /* a broken listener must not stop the watch */ }
    }
    const run = async (): Promise<void> => {
      while (!ctrl.signal.aborted) {
        const final = await new Promise<StatusObject>(resolve => {
          const c = method<StreamMethod>(name)({}, workloadMetadata())
          call = c
          c.on('data', (msg: M) => {
            let value: T
            try {
              value = decode(msg)
            } catch (err) {
              logger.warn('discarding malformed Workload API message', { method: name, error: (err as Error).message })
              report(err as Error, false)
              return
            }
            current = value
            backoff.reset()
            try { onUpdate(value) } catch (err) { logger.error('SPIFFE update listener threw', { error: (err as Error).message }) }
          })
          c.on('error', () => { /* the status event below carries the outcome */ })
          c.on('status', resolve)
        })
        call = undefined
        if (ctrl.signal.aborted) break
        const err = final.code === grpcStatus.OK
          ? new SpiffeUnavailableError(`${name} stream on ${address.address} ended`)
          : errorFromStatus(address.address, name, final)
        if (final.code === grpcStatus.INVALID_ARGUMENT) {
          logger.error('Workload API rejected the request; not retrying', { method: name, details: final.details })
          report(err, true)
          break
        }
        const delay = backoff.nextDelay()
        logger.warn('Workload API stream failed; retrying', { method: name, status: statusName(final.code), delayMs: delay })
        report(err, false)
        if (!await waitFor(delay, timers, ctrl.signal)) break
      }
    }
    const done = run().catch((err: Error) => { report(err, true) })
    return { current: () => current, done, close: () => { ctrl.abort() } }
  }

  async function first<T> (start: (onUpdate: (v: T) => void, o: WatchOptions) => Watch<T>, name: string, opts: CallOptions = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? callTimeout
    const ctrl = linkSignals(opts.signal)
    let lastError: Error | undefined
    return await new Promise<T>((resolve, reject) => {
      let settled = false
      const settle = (fn: () => void): void => {
        if (settled) return
        settled = true
        timers.clearTimeout(timer)
        ctrl.abort()
        fn()
      }
      const timer = timers.setTimeout(() => {
        settle(() => { reject(new SpiffeUnavailableError(`no ${name} response from ${address.address} within ${timeoutMs} ms${lastError != null ? `: ${lastError.message}` : ''}`, { cause: lastError })) })
      }, timeoutMs)
      const w = start(v => { settle(() => { resolve(v) }) }, {
        signal: ctrl.signal,
        onError: (err, fatal) => {
          lastError = err
          if (fatal) settle(() => { reject(err) })
        }
      })
      void w.done.then(() => {
        settle(() => { reject(opts.signal?.aborted === true || closed.signal.aborted ? new SpiffeAbortedError() : (lastError ?? new SpiffeAbortedError())) })
      })
    })
  }

  async function unary<R> (name: string, request: object, opts: CallOptions = {}): Promise<R> {
    if (closed.signal.aborted || opts.signal?.aborted === true) throw new SpiffeAbortedError()
    const deadline = Date.now() + (opts.timeoutMs ?? callTimeout)
    return await new Promise<R>((resolve, reject) => {
      const onAbort = (): void => { call.cancel() }
      const call = method<UnaryMethod>(name)(request, workloadMetadata(), { deadline }, (err, res) => {
        opts.signal?.removeEventListener('abort', onAbort)
        closed.signal.removeEventListener('abort', onAbort)
        if (err == null) { resolve(res as R); return }
        if (err.code === grpcStatus.CANCELLED && (opts.signal?.aborted === true || closed.signal.aborted)) { reject(new SpiffeAbortedError()); return }
        reject(errorFromStatus(address.address, name, { code: err.code, details: err.details }))
      })
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      closed.signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  const watchX509Svid = (onUpdate: (s: X509SvidSnapshot) => void, o?: WatchOptions): Watch<X509SvidSnapshot> =>
    watch<X509SvidResponseMessage, X509SvidSnapshot>('FetchX509SVID', snapshotFromResponse, onUpdate, o)
  const watchX509Bundles = (onUpdate: (b: Map<string, Uint8Array[]>) => void, o?: WatchOptions): Watch<Map<string, Uint8Array[]>> =>
    watch<X509BundlesResponseMessage, Map<string, Uint8Array[]>>('FetchX509Bundles', bundlesFromResponse, onUpdate, o)
  const watchJwtBundles = (onUpdate: (b: Map<string, Uint8Array>) => void, o?: WatchOptions): Watch<Map<string, Uint8Array>> =>
    watch<JwtBundlesResponseMessage, Map<string, Uint8Array>>('FetchJWTBundles', m => new Map(Object.entries(m.bundles ?? {})), onUpdate, o)

  return {
    address,
    watchX509Svid,
    watchX509Bundles,
    fetchX509Svid: async (o) => await first(watchX509Svid, 'FetchX509SVID', o),
    fetchX509Bundles: async (o) => await first(watchX509Bundles, 'FetchX509Bundles', o),
    fetchJwtBundles: async (o) => await first(watchJwtBundles, 'FetchJWTBundles', o),
    fetchJwtSvid: async (req, o) => {
      if (req.audience.length === 0) throw new TypeError('FetchJWTSVID needs at least one audience')
      const res = await unary<JwtSvidResponseMessage>('FetchJWTSVID', { audience: [...req.audience], spiffe_id: req.spiffeId ?? '' }, o)
      return (res.svids ?? []).map(s => ({ spiffeId: s.spiffe_id, svid: s.svid, hint: s.hint ?? '' }))
    },
    validateJwtSvid: async (req, o) => {
      const res = await unary<ValidateJwtSvidResponseMessage>('ValidateJWTSVID', { audience: req.audience, svid: req.svid }, o)
      return { spiffeId: res.spiffe_id, claims: structToJson(res.claims) }
    },
    close: () => {
      if (closed.signal.aborted) return
      closed.abort()
      grpcClient.close()
    }
  }
}
