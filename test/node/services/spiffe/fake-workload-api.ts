/**
 * A real gRPC SPIFFE Workload API server on a Unix socket in a temp dir, for tests. Like SPIRE's agent
 * it refuses calls without `workload.spiffe.io: true` (InvalidArgument). FetchX509SVID streams the
 * current snapshot and pushes every later one to open streams; failures can be scripted per call.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Server, ServerCredentials, status as grpcStatus,
  type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation
} from '@grpc/grpc-js'
import { workloadApiServiceDefinition, WORKLOAD_HEADER } from '../../../../node/services/spiffe/workload-proto.js'
import type { JwtSvidResponseMessage, ValidateJwtSvidResponseMessage, X509BundlesResponseMessage, X509SvidResponseMessage } from '../../../../node/services/spiffe/workload-proto.js'

export interface ScriptedStatus { code: number, details: string }

export class FakeWorkloadApi {
  readonly dir: string
  readonly socketPath: string
  address: string
  readonly #tcp: boolean
  /** Calls per method, counted before the header check. */
  readonly calls: Record<string, number> = {}
  /** Calls refused for a missing header. */
  refusedForHeader = 0
  x509?: X509SvidResponseMessage
  bundles?: X509BundlesResponseMessage
  jwt?: JwtSvidResponseMessage
  validate?: ValidateJwtSvidResponseMessage
  lastJwtRequest?: unknown
  /** Statuses to answer the next FetchX509SVID calls with, in order. */
  readonly x509Failures: ScriptedStatus[] = []
  /** Answer every FetchX509SVID with this status (after the scripted ones). */
  x509AlwaysFail?: ScriptedStatus
  readonly #server = new Server()
  readonly #x509Streams = new Set<ServerWritableStream<unknown, X509SvidResponseMessage>>()

  constructor (options: { tcp?: boolean } = {}) {
    this.#tcp = options.tcp === true
    this.dir = mkdtempSync(join(tmpdir(), 'tm-spiffe-'))
    this.socketPath = join(this.dir, 'agent.sock')
    this.address = `unix://${this.socketPath}`
    const impl: UntypedServiceImplementation = {
      FetchX509SVID: (call: ServerWritableStream<unknown, X509SvidResponseMessage>) => {
        if (!this.#admit('FetchX509SVID', call)) return
        const failure = this.x509Failures.shift() ?? this.x509AlwaysFail
        if (failure != null) { call.emit('error', failure); return }
        this.#x509Streams.add(call)
        call.on('cancelled', () => { this.#x509Streams.delete(call) })
        call.on('close', () => { this.#x509Streams.delete(call) })
        if (this.x509 != null) call.write(this.x509)
      },
      FetchX509Bundles: (call: ServerWritableStream<unknown, X509BundlesResponseMessage>) => {
        if (!this.#admit('FetchX509Bundles', call)) return
        if (this.bundles != null) call.write(this.bundles)
      },
      FetchJWTBundles: (call: ServerWritableStream<unknown, unknown>) => {
        if (!this.#admit('FetchJWTBundles', call)) return
        call.write({ bundles: { 'spiffe://acme.test': Buffer.from('{"keys":[]}') } })
      },
      FetchJWTSVID: (call: ServerUnaryCall<unknown, JwtSvidResponseMessage>, cb: sendUnaryData<JwtSvidResponseMessage>) => {
        if (!this.#admitUnary('FetchJWTSVID', call, cb)) return
        this.lastJwtRequest = call.request
        if (this.jwt == null) { cb({ code: grpcStatus.PERMISSION_DENIED, details: 'no identity issued' }); return }
        cb(null, this.jwt)
      },
      ValidateJWTSVID: (call: ServerUnaryCall<unknown, ValidateJwtSvidResponseMessage>, cb: sendUnaryData<ValidateJwtSvidResponseMessage>) => {
        if (!this.#admitUnary('ValidateJWTSVID', call, cb)) return
        if (this.validate == null) { cb({ code: grpcStatus.INVALID_ARGUMENT, details: 'token invalid' }); return }
        cb(null, this.validate)
      }
    }
    this.#server.addService(workloadApiServiceDefinition(), impl)
  }

  #hasHeader (md: { get: (k: string) => unknown[] }): boolean {
    const v = md.get(WORKLOAD_HEADER)
    return v.length === 1 && v[0] === 'true'
  }

  #admit (name: string, call: ServerWritableStream<unknown, unknown>): boolean {
    this.calls[name] = (this.calls[name] ?? 0) + 1
    if (this.#hasHeader(call.metadata)) return true
    this.refusedForHeader++
    call.emit('error', { code: grpcStatus.INVALID_ARGUMENT, details: 'security header missing from request' })
    return false
  }

  #admitUnary<R> (name: string, call: ServerUnaryCall<unknown, R>, cb: sendUnaryData<R>): boolean {
    this.calls[name] = (this.calls[name] ?? 0) + 1
    if (this.#hasHeader(call.metadata)) return true
    this.refusedForHeader++
    cb({ code: grpcStatus.INVALID_ARGUMENT, details: 'security header missing from request' })
    return false
  }

  async start (): Promise<this> {
    const bindTo = this.#tcp ? '127.0.0.1:0' : this.address
    const port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync(bindTo, ServerCredentials.createInsecure(), (err, p) => { if (err != null) reject(err); else resolve(p) })
    })
    if (this.#tcp) this.address = `tcp://127.0.0.1:${port}`
    return this
  }

  /** Replace the snapshot and push it to every open FetchX509SVID stream. */
  pushX509 (snapshot: X509SvidResponseMessage): void {
    this.x509 = snapshot
    for (const s of this.#x509Streams) s.write(snapshot)
  }

  /** End every open FetchX509SVID stream with a status. */
  endX509Streams (s: ScriptedStatus): void {
    for (const call of [...this.#x509Streams]) { this.#x509Streams.delete(call); call.emit('error', s) }
  }

  openX509Streams (): number {
    return this.#x509Streams.size
  }

  async stop (): Promise<void> {
    this.#server.forceShutdown()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

export async function startFakeWorkloadApi (options: { tcp?: boolean } = {}): Promise<FakeWorkloadApi> {
  return await new FakeWorkloadApi(options).start()
}

/** Poll until `check` is true or the deadline passes (no sleeps for synchronisation). */
export async function eventually (check: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setImmediate(resolve))
  }
}

/** An X509SVIDResponse for one SVID. */
export function x509Response (spiffeId: string, chain: Uint8Array, key: Uint8Array, bundle: Uint8Array): X509SvidResponseMessage {
  return {
    svids: [{ spiffe_id: spiffeId, x509_svid: Buffer.from(chain), x509_svid_key: Buffer.from(key), bundle: Buffer.from(bundle), hint: '' }],
    crl: [],
    federated_bundles: {}
  }
}
