import { expect } from 'chai'
import { statSync, existsSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { readFile } from 'node:fs/promises'
import { createControlServer, MAX_BODY_BYTES } from '../../../node/api/control-server.js'
import type { ControlServer } from '../../../node/api/control-server.js'
import { ControlRouteError } from '../../../node/api/errors.js'
import { silentLogger } from '../../../identity/logger.js'
import type { Logger } from '../../../identity/logger.js'
import { raw, staleSocket, tempDir } from './control-fixtures.js'
import type { TempDir } from './control-fixtures.js'

describe('control server', () => {
  let tmp: TempDir
  let server: ControlServer
  let logged: string[]

  const recordingLogger = (): Logger => {
    const base = silentLogger('t')
    return { ...base, error: (m, f) => { logged.push(m + ' ' + JSON.stringify(f)) } }
  }

  beforeEach(async () => {
    tmp = tempDir()
    logged = []
    server = createControlServer({ socketPath: tmp.socketPath, logger: recordingLogger() })
    server.route('GET', '/v1/echo/:name/items/:item', async (req) => ({ params: req.params, query: req.query }))
    server.route('POST', '/v1/echo', async (req) => ({ body: req.body }))
    server.route('POST', '/v1/nothing', async () => undefined)
    server.route('POST', '/v1/coded', async () => { throw new ControlRouteError('POLICY_DENY', 'denied by policy', 403) })
    server.route('POST', '/v1/coded-default', async () => { throw Object.assign(new Error('bad input'), { code: 'BAD_INPUT' }) })
    server.route('POST', '/v1/boom', async () => { throw new Error('secret detail at /etc/x') })
    server.route('POST', '/v1/io', async () => { await readFile('/tmp/tmc-secret-missing-file') })
    await server.start()
  })

  afterEach(async () => {
    await server.stop()
    tmp.remove()
  })

  it('creates the socket with mode 0600', () => {
    expect(statSync(tmp.socketPath).isSocket()).to.equal(true)
    expect(statSync(tmp.socketPath).mode & 0o777).to.equal(0o600)
  })

  it('routes with params and query', async () => {
    const r = await raw(tmp.socketPath, 'GET', '/v1/echo/a%20b/items/7?x=1&y=two')
    expect(r.status).to.equal(200)
    expect(r.headers['content-type']).to.match(/^application\/json/)
    expect(r.json).to.deep.equal({ params: { name: 'a b', item: '7' }, query: { x: '1', y: 'two' } })
  })

  it('parses JSON bodies and answers 204 for undefined', async () => {
    expect((await raw(tmp.socketPath, 'POST', '/v1/echo', '{"a":[1,2]}')).json).to.deep.equal({ body: { a: [1, 2] } })
    expect((await raw(tmp.socketPath, 'POST', '/v1/echo')).json).to.deep.equal({})
    const r = await raw(tmp.socketPath, 'POST', '/v1/nothing', '{}')
    expect(r.status).to.equal(204)
    expect(r.text).to.equal('')
  })

  it('answers 404 NOT_FOUND and 405 METHOD_NOT_ALLOWED', async () => {
    const nf = await raw(tmp.socketPath, 'GET', '/v1/nope')
    expect(nf.status).to.equal(404)
    expect(nf.json).to.have.nested.property('error.code', 'NOT_FOUND')
    const na = await raw(tmp.socketPath, 'DELETE', '/v1/echo')
    expect(na.status).to.equal(405)
    expect(na.json).to.have.nested.property('error.code', 'METHOD_NOT_ALLOWED')
  })

  it('rejects invalid JSON with 400 BAD_JSON', async () => {
    const r = await raw(tmp.socketPath, 'POST', '/v1/echo', '{"a":')
    expect(r.status).to.equal(400)
    expect(r.json).to.deep.equal({ error: { code: 'BAD_JSON', message: 'request body is not valid JSON' } })
  })

  it('rejects bodies over 1 MiB with 413 BODY_TOO_LARGE and accepts one at the cap', async () => {
    const atCap = '"' + 'x'.repeat(MAX_BODY_BYTES - 2) + '"'
    expect((await raw(tmp.socketPath, 'POST', '/v1/echo', atCap)).status).to.equal(200)
    const r = await raw(tmp.socketPath, 'POST', '/v1/echo', '"' + 'x'.repeat(MAX_BODY_BYTES) + '"')
    expect(r.status).to.equal(413)
    expect(r.json).to.have.nested.property('error.code', 'BODY_TOO_LARGE')
  })

  it('maps coded handler errors to their status (default 400)', async () => {
    const a = await raw(tmp.socketPath, 'POST', '/v1/coded')
    expect(a.status).to.equal(403)
    expect(a.json).to.deep.equal({ error: { code: 'POLICY_DENY', message: 'denied by policy' } })
    const b = await raw(tmp.socketPath, 'POST', '/v1/coded-default')
    expect(b.status).to.equal(400)
    expect(b.json).to.deep.equal({ error: { code: 'BAD_INPUT', message: 'bad input' } })
  })

  it('maps other errors to 500 INTERNAL without leaking the detail, and logs it', async () => {
    const r = await raw(tmp.socketPath, 'POST', '/v1/boom')
    expect(r.status).to.equal(500)
    expect(r.json).to.deep.equal({ error: { code: 'INTERNAL', message: 'internal error' } })
    expect(r.text).to.not.contain('secret')
    expect(logged.join('\n')).to.contain('secret detail')
    const io = await raw(tmp.socketPath, 'POST', '/v1/io')
    expect(io.status).to.equal(500)
    expect(io.text).to.not.contain('secret')
  })

  it('start and stop are idempotent; stop removes the socket file', async () => {
    await server.start()
    await server.stop()
    await server.stop()
    expect(existsSync(tmp.socketPath)).to.equal(false)
    await server.start()
    expect(existsSync(tmp.socketPath)).to.equal(true)
  })

  it('refuses to start a second server on a live socket with NODE_ALREADY_RUNNING', async () => {
    const second = createControlServer({ socketPath: tmp.socketPath, logger: silentLogger() })
    let err: unknown
    try { await second.start() } catch (e) { err = e }
    expect(err).to.have.property('code', 'NODE_ALREADY_RUNNING')
    expect(err).to.have.property('name', 'NodeAlreadyRunningError')
    expect((await raw(tmp.socketPath, 'POST', '/v1/echo', '1')).status).to.equal(200)
  })

  it('stop closes idle keep-alive connections promptly', async () => {
    const agent = new Agent({ keepAlive: true })
    try {
      expect((await raw(tmp.socketPath, 'POST', '/v1/echo', '1', agent)).status).to.equal(200)
      const t0 = Date.now()
      await server.stop()
      expect(Date.now() - t0).to.be.lessThan(1000)
    } finally { agent.destroy() }
  })
})

describe('control server socket file', () => {
  let tmp: TempDir
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => { tmp.remove() })

  it('replaces a stale socket file nobody answers on', async () => {
    await staleSocket(tmp.socketPath)
    expect(statSync(tmp.socketPath).isSocket()).to.equal(true)
    const server = createControlServer({ socketPath: tmp.socketPath, logger: silentLogger() })
    server.route('GET', '/ping', async () => 'pong')
    await server.start()
    try {
      expect((await raw(tmp.socketPath, 'GET', '/ping')).json).to.equal('pong')
    } finally { await server.stop() }
  })

  it('refuses to replace a path that is not a socket', async () => {
    writeFileSync(tmp.socketPath, 'data')
    const server = createControlServer({ socketPath: tmp.socketPath, logger: silentLogger() })
    let err: unknown
    try { await server.start() } catch (e) { err = e }
    expect(err).to.have.property('code', 'CONTROL_SOCKET_INVALID')
    expect(existsSync(tmp.socketPath)).to.equal(true)
  })

  it('refuses a socket path longer than sun_path allows', async () => {
    const server = createControlServer({ socketPath: tmp.dir + '/' + 'x'.repeat(120), logger: silentLogger() })
    let err: unknown
    try { await server.start() } catch (e) { err = e }
    expect(err).to.have.property('code', 'CONTROL_SOCKET_INVALID')
  })
})
