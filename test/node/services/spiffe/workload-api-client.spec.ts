import { expect } from 'chai'
import { credentials, Metadata, status as grpcStatus } from '@grpc/grpc-js'
import { createWorkloadApiClient, type WorkloadApiClient } from '../../../../node/services/spiffe/workload-api-client.js'
import { workloadApiService } from '../../../../node/services/spiffe/workload-proto.js'
import { SpiffeErrorCode, type SpiffeError } from '../../../../node/services/spiffe/errors.js'
import type { X509SvidSnapshot } from '../../../../node/services/spiffe/x509-svid.js'
import { eventually, startFakeWorkloadApi, x509Response, type FakeWorkloadApi } from './fake-workload-api.js'
import { ACME_ID, svidFixtures, type SvidFixtures } from './svid-fixtures.js'

describe('spiffe/WorkloadApiClient (real gRPC over a Unix socket)', function () {
  let f: SvidFixtures
  let api: FakeWorkloadApi
  let client: WorkloadApiClient | undefined
  before(async function () { f = await svidFixtures() })
  beforeEach(async function () { api = await startFakeWorkloadApi() })
  afterEach(async function () { client?.close(); client = undefined; await api.stop() })

  const fast = { initialMs: 5, maxMs: 20 }

  it('fetches the X509-SVID: chain split, key and bundle kept, the header sent', async function () {
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    client = createWorkloadApiClient({ socket: api.address })
    const snap = await client.fetchX509Svid()
    expect(snap.svid.spiffeId).to.equal(ACME_ID)
    expect(snap.svid.trustDomain).to.equal('acme.test')
    expect(snap.svid.chain).to.have.length(2)
    expect(Buffer.from(snap.svid.chain[0]).equals(Buffer.from(f.good.der))).to.equal(true)
    expect(Buffer.from(snap.svid.privateKey).equals(Buffer.from(f.good.key))).to.equal(true)
    expect(snap.svid.bundle).to.have.length(1)
    expect(api.refusedForHeader).to.equal(0)
    expect(JSON.stringify(snap.svid)).not.to.include('privateKey')
  })

  it('reads the endpoint from SPIFFE_ENDPOINT_SOCKET', async function () {
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    client = createWorkloadApiClient({ env: { SPIFFE_ENDPOINT_SOCKET: api.address } })
    expect((await client.fetchX509Svid()).svid.spiffeId).to.equal(ACME_ID)
  })

  it('works over tcp://127.0.0.1:<port> too', async function () {
    const tcp = await startFakeWorkloadApi({ tcp: true })
    const c = createWorkloadApiClient({ socket: tcp.address })
    try {
      tcp.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
      expect(tcp.address).to.match(/^tcp:\/\/127\.0\.0\.1:\d+$/)
      expect((await c.fetchX509Svid()).svid.spiffeId).to.equal(ACME_ID)
    } finally { c.close(); await tcp.stop() }
  })

  it('picks up rotation: each streamed snapshot replaces the previous', async function () {
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    client = createWorkloadApiClient({ socket: api.address })
    const seen: X509SvidSnapshot[] = []
    const w = client.watchX509Svid(s => { seen.push(s) })
    await eventually(() => seen.length === 1, 3000, 'first snapshot')
    api.pushX509(x509Response(ACME_ID, f.rotatedChain, f.rotated.key, f.acmeRoot.der))
    await eventually(() => seen.length === 2, 3000, 'rotated snapshot')
    expect(Buffer.from(w.current()?.svid.chain[0] ?? []).equals(Buffer.from(f.rotated.der))).to.equal(true)
    expect(api.calls.FetchX509SVID).to.equal(1)
    w.close()
    await w.done
  })

  it('the fake agent refuses a call without the workload.spiffe.io header', async function () {
    const Ctor = workloadApiService()
    const raw = new Ctor(api.address, credentials.createInsecure())
    try {
      const code = await new Promise<number>((resolve) => {
        const call = (raw as unknown as { FetchX509SVID: (req: object, md: Metadata) => NodeJS.EventEmitter }).FetchX509SVID({}, new Metadata())
        call.on('error', () => {})
        call.on('status', (s: { code: number }) => { resolve(s.code) })
      })
      expect(code).to.equal(grpcStatus.INVALID_ARGUMENT)
      expect(api.refusedForHeader).to.equal(1)
    } finally { raw.close() }
  })

  it('InvalidArgument is fatal: reported once, never retried', async function () {
    api.x509AlwaysFail = { code: grpcStatus.INVALID_ARGUMENT, details: 'bad request' }
    client = createWorkloadApiClient({ socket: api.address, backoff: fast })
    const errors: Array<{ err: Error, fatal: boolean }> = []
    const w = client.watchX509Svid(() => {}, { onError: (err, fatal) => { errors.push({ err, fatal }) } })
    await w.done
    expect(errors).to.have.length(1)
    expect(errors[0].fatal).to.equal(true)
    expect((errors[0].err as SpiffeError).code).to.equal(SpiffeErrorCode.REJECTED)
    expect(api.calls.FetchX509SVID).to.equal(1)
    try { await client.fetchX509Svid({ timeoutMs: 2000 }); expect.fail('should reject') } catch (err) {
      expect((err as SpiffeError).code).to.equal(SpiffeErrorCode.REJECTED)
    }
    expect(api.calls.FetchX509SVID).to.equal(2)
  })

  it('retries other failures with backoff until a snapshot arrives', async function () {
    api.x509Failures.push({ code: grpcStatus.UNAVAILABLE, details: 'not yet' }, { code: grpcStatus.PERMISSION_DENIED, details: 'no entry yet' })
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    client = createWorkloadApiClient({ socket: api.address, backoff: fast })
    const errors: boolean[] = []
    const snap = await new Promise<X509SvidSnapshot>(resolve => {
      client?.watchX509Svid(resolve, { onError: (_e, fatal) => { errors.push(fatal) } })
    })
    expect(snap.svid.spiffeId).to.equal(ACME_ID)
    expect(errors).to.deep.equal([false, false])
    expect(api.calls.FetchX509SVID).to.equal(3)
  })

  it('reconnects after the stream ends and gets the current snapshot again', async function () {
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    client = createWorkloadApiClient({ socket: api.address, backoff: fast })
    let updates = 0
    const w = client.watchX509Svid(() => { updates++ })
    await eventually(() => updates === 1 && api.openX509Streams() === 1)
    api.endX509Streams({ code: grpcStatus.UNAVAILABLE, details: 'agent restarting' })
    await eventually(() => updates === 2, 3000, 'snapshot after reconnect')
    expect(api.calls.FetchX509SVID).to.equal(2)
    w.close()
  })

  it('an unreachable socket fails with SPIFFE_UNAVAILABLE within the deadline', async function () {
    client = createWorkloadApiClient({ socket: `unix://${api.dir}/missing.sock`, backoff: fast })
    const t = Date.now()
    try { await client.fetchX509Svid({ timeoutMs: 300 }); expect.fail('should reject') } catch (err) {
      expect((err as SpiffeError).code).to.equal(SpiffeErrorCode.UNAVAILABLE)
      expect((err as Error).message).to.include('missing.sock')
    }
    expect(Date.now() - t).to.be.lessThan(2000)
  })

  it('abort ends a fetch with SPIFFE_ABORTED and close stops a watch', async function () {
    client = createWorkloadApiClient({ socket: api.address })
    const ctrl = new AbortController()
    const p = client.fetchX509Svid({ signal: ctrl.signal, timeoutMs: 5000 })
    await eventually(() => api.openX509Streams() === 1)
    ctrl.abort()
    try { await p; expect.fail('should reject') } catch (err) { expect((err as SpiffeError).code).to.equal(SpiffeErrorCode.ABORTED) }
    const w = client.watchX509Svid(() => {})
    await eventually(() => api.openX509Streams() === 1)
    client.close()
    await w.done
    await eventually(() => api.openX509Streams() === 0, 3000, 'stream closed on the server')
  })

  it('discards a malformed snapshot and keeps the stream', async function () {
    client = createWorkloadApiClient({ socket: api.address })
    const errors: boolean[] = []
    let updates = 0
    const w = client.watchX509Svid(() => { updates++ }, { onError: (_e, fatal) => { errors.push(fatal) } })
    await eventually(() => api.openX509Streams() === 1)
    api.pushX509({ svids: [{ spiffe_id: ACME_ID, x509_svid: Buffer.from([1, 2, 3]), x509_svid_key: Buffer.from(f.good.key), bundle: Buffer.from(f.acmeRoot.der), hint: '' }], crl: [], federated_bundles: {} })
    await eventually(() => errors.length === 1)
    expect(updates).to.equal(0)
    expect(w.current()).to.equal(undefined)
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    await eventually(() => updates === 1)
    expect(errors).to.deep.equal([false])
  })

  it('FetchX509Bundles returns each trust domain separately', async function () {
    api.bundles = { crl: [], bundles: { 'spiffe://acme.test': Buffer.from(f.acmeRoot.der), 'spiffe://globex.test': Buffer.from(f.globexRoot.der) } }
    client = createWorkloadApiClient({ socket: api.address })
    const b = await client.fetchX509Bundles()
    expect([...b.keys()].sort()).to.deep.equal(['spiffe://acme.test', 'spiffe://globex.test'])
    expect(b.get('spiffe://globex.test')).to.have.length(1)
  })

  it('FetchJWTSVID and ValidateJWTSVID are unary calls with the header', async function () {
    api.jwt = { svids: [{ spiffe_id: ACME_ID, svid: 'a.b.c', hint: '' }] }
    api.validate = { spiffe_id: ACME_ID, claims: { fields: { sub: { stringValue: ACME_ID }, n: { numberValue: 3 } } } }
    client = createWorkloadApiClient({ socket: api.address })
    const svids = await client.fetchJwtSvid({ audience: ['trustmesh'], spiffeId: ACME_ID })
    expect(svids).to.deep.equal([{ spiffeId: ACME_ID, svid: 'a.b.c', hint: '' }])
    expect(api.lastJwtRequest).to.deep.include({ audience: ['trustmesh'], spiffe_id: ACME_ID })
    const v = await client.validateJwtSvid({ audience: 'trustmesh', svid: 'a.b.c' })
    expect(v).to.deep.equal({ spiffeId: ACME_ID, claims: { sub: ACME_ID, n: 3 } })
    const jb = await client.fetchJwtBundles()
    expect([...jb.keys()]).to.deep.equal(['spiffe://acme.test'])
  })

  it('unary InvalidArgument is SPIFFE_REJECTED, other refusals are SPIFFE_UNAVAILABLE', async function () {
    client = createWorkloadApiClient({ socket: api.address })
    try { await client.validateJwtSvid({ audience: 'x', svid: 'y' }); expect.fail('should reject') } catch (err) { expect((err as SpiffeError).code).to.equal(SpiffeErrorCode.REJECTED) }
    try { await client.fetchJwtSvid({ audience: ['x'] }); expect.fail('should reject') } catch (err) { expect((err as SpiffeError).code).to.equal(SpiffeErrorCode.UNAVAILABLE) }
  })

  it('rejects bad endpoint addresses at construction', function () {
    expect(() => createWorkloadApiClient({ socket: 'http://127.0.0.1:1' })).to.throw().with.property('code', SpiffeErrorCode.BAD_ADDRESS)
    expect(() => createWorkloadApiClient({ env: {} })).to.throw().with.property('code', SpiffeErrorCode.NOT_CONFIGURED)
  })
})
