import { expect } from 'chai'
import { status as grpcStatus } from '@grpc/grpc-js'
import { createSpiffeSource, type SpiffeSource } from '../../../../node/services/spiffe/spiffe-source.js'
import { SpiffeErrorCode, type SpiffeError } from '../../../../node/services/spiffe/errors.js'
import { fakeClock } from '../../../helpers/clock.js'
import { eventually, startFakeWorkloadApi, x509Response, type FakeWorkloadApi } from './fake-workload-api.js'
import { ACME_ID, svidFixtures, type SvidFixtures } from './svid-fixtures.js'
import { concat } from './test-pki.js'

describe('spiffe/createSpiffeSource', function () {
  let f: SvidFixtures
  let api: FakeWorkloadApi
  let source: SpiffeSource | undefined
  before(async function () { f = await svidFixtures() })
  beforeEach(async function () { api = await startFakeWorkloadApi() })
  afterEach(async function () { source?.close(); source = undefined; await api.stop() })

  const fast = { initialMs: 5, maxMs: 20 }

  it('ready() resolves with a validated SVID and current() returns it', async function () {
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    source = createSpiffeSource({ socket: api.address, clock: fakeClock() })
    const svid = await source.ready(3000)
    expect(svid.spiffeId).to.equal(ACME_ID)
    expect(source.current()?.spiffeId).to.equal(ACME_ID)
  })

  it('follows rotation without restart', async function () {
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    source = createSpiffeSource({ socket: api.address, clock: fakeClock() })
    await source.ready(3000)
    api.pushX509(x509Response(ACME_ID, f.rotatedChain, f.rotated.key, f.acmeRoot.der))
    await eventually(() => Buffer.from(source?.current()?.chain[0] ?? []).equals(Buffer.from(f.rotated.der)), 3000, 'rotated SVID')
  })

  it('holds no SVID when the agent sends one that does not validate (fail closed)', async function () {
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    source = createSpiffeSource({ socket: api.address, clock: fakeClock() })
    await source.ready(3000)
    const seen: Array<string | undefined> = []
    source.onUpdate(s => { seen.push(s?.spiffeId) })
    api.pushX509(x509Response(ACME_ID, concat(f.caLeaf.der, f.acmeInter.der), f.caLeaf.key, f.acmeRoot.der))
    await eventually(() => seen.length === 1)
    expect(seen).to.deep.equal([undefined])
    expect(source.current()).to.equal(undefined)
  })

  it('current() is undefined once the SVID has expired by the clock', async function () {
    const clock = fakeClock()
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    source = createSpiffeSource({ socket: api.address, clock })
    await source.ready(3000)
    clock.advance(2 * 24 * 3600 * 1000)
    expect(source.current()).to.equal(undefined)
  })

  it('an unreachable socket: ready() rejects with SPIFFE_UNAVAILABLE within the bound', async function () {
    source = createSpiffeSource({ socket: `unix://${api.dir}/nothing.sock`, backoff: fast })
    const t = Date.now()
    try { await source.ready(300); expect.fail('should reject') } catch (err) {
      expect((err as SpiffeError).code).to.equal(SpiffeErrorCode.UNAVAILABLE)
      expect((err as Error).message).to.match(/nothing\.sock.*within 300 ms/)
    }
    expect(Date.now() - t).to.be.lessThan(2000)
    expect(source.current()).to.equal(undefined)
  })

  it('InvalidArgument: ready() rejects with SPIFFE_REJECTED and the source does not retry', async function () {
    api.x509AlwaysFail = { code: grpcStatus.INVALID_ARGUMENT, details: 'malformed' }
    source = createSpiffeSource({ socket: api.address, backoff: fast })
    try { await source.ready(3000); expect.fail('should reject') } catch (err) {
      expect((err as SpiffeError).code).to.equal(SpiffeErrorCode.REJECTED)
    }
    expect(api.calls.FetchX509SVID).to.equal(1)
  })

  it('the abort signal closes the source', async function () {
    api.pushX509(x509Response(ACME_ID, f.goodChain, f.good.key, f.acmeRoot.der))
    const ctrl = new AbortController()
    source = createSpiffeSource({ socket: api.address, signal: ctrl.signal, clock: fakeClock() })
    await source.ready(3000)
    ctrl.abort()
    expect(source.current()).to.equal(undefined)
    await eventually(() => api.openX509Streams() === 0)
    try { await source.ready(100); expect.fail('should reject') } catch (err) { expect((err as SpiffeError).code).to.equal(SpiffeErrorCode.ABORTED) }
  })

  it('throws at once for a malformed or missing socket address', function () {
    expect(() => createSpiffeSource({ socket: 'unix://relative/path' })).to.throw().with.property('code', SpiffeErrorCode.BAD_ADDRESS)
    expect(() => createSpiffeSource({ env: {} })).to.throw().with.property('code', SpiffeErrorCode.NOT_CONFIGURED)
  })
})
