import { expect } from 'chai'
import { createServer as createNetServer } from 'node:net'
import { createServer as createHttpServer } from 'node:http'
import type { Server as NetServer, Socket } from 'node:net'
import { createControlServer } from '../../../node/api/control-server.js'
import type { ControlServer } from '../../../node/api/control-server.js'
import { createClient } from '../../../client/control-client.js'
import { ControlRouteError } from '../../../node/api/errors.js'
import { ControlApiError } from '../../../client/errors.js'
import { silentLogger } from '../../../identity/logger.js'
import { staleSocket, tempDir, waitFor } from './control-fixtures.js'
import type { TempDir } from './control-fixtures.js'

async function caught (p: Promise<unknown>): Promise<Error & { code?: string, status?: number }> {
  try { await p } catch (err) { return err as Error & { code?: string } }
  throw new Error('expected a rejection')
}

describe('control client', () => {
  let tmp: TempDir
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => { tmp.remove() })

  describe('against a running server', () => {
    let server: ControlServer
    let hangAborted = 0
    beforeEach(async () => {
      server = createControlServer({ socketPath: tmp.socketPath, logger: silentLogger() })
      server.route('POST', '/v1/sum', async (req) => {
        const b = req.body as { a: number, b: number }
        return { sum: b.a + b.b }
      })
      server.route('POST', '/v1/none', async () => undefined)
      server.route('GET', '/v1/deny', async () => { throw new ControlRouteError('RING_TOO_LOW', 'ring 3 cannot write', 403) })
      hangAborted = 0
      server.route('GET', '/v1/hang', async (req) => await new Promise((resolve) => req.signal.addEventListener('abort', () => { hangAborted++; resolve(null) })))
      await server.start()
    })
    afterEach(async () => { await server.stop() })

    it('sends JSON and returns the parsed reply (dataDir resolves the socket)', async () => {
      const client = createClient({ dataDir: tmp.dir })
      expect(client.socketPath).to.equal(tmp.socketPath)
      expect(await client.request('POST', '/v1/sum', { a: 2, b: 3 })).to.deep.equal({ sum: 5 })
      expect(await client.request('POST', '/v1/none')).to.equal(undefined)
    })

    it('turns error replies into ControlApiError with code, status and message', async () => {
      const err = await caught(createClient({ socketPath: tmp.socketPath }).request('GET', '/v1/deny'))
      expect(err).to.be.instanceOf(ControlApiError)
      expect(err).to.include({ code: 'RING_TOO_LOW', status: 403, message: 'ring 3 cannot write' })
      const nf = await caught(createClient({ socketPath: tmp.socketPath }).request('GET', '/v1/missing'))
      expect(nf).to.include({ code: 'NOT_FOUND', status: 404 })
    })

    it('surfaces an oversized body as 413 BODY_TOO_LARGE, not a broken pipe', async () => {
      const err = await caught(createClient({ socketPath: tmp.socketPath }).request('POST', '/v1/sum', { pad: 'x'.repeat(8 * 1024 * 1024) }))
      expect(err).to.include({ code: 'BODY_TOO_LARGE', status: 413 })
    })

    it('times out with CONTROL_TIMEOUT and the server sees the disconnect', async () => {
      const t0 = Date.now()
      const err = await caught(createClient({ socketPath: tmp.socketPath, timeoutMs: 100 }).request('GET', '/v1/hang'))
      expect(err).to.include({ code: 'CONTROL_TIMEOUT', name: 'ControlTimeoutError' })
      expect(Date.now() - t0).to.be.lessThan(2000)
      await waitFor(() => hangAborted === 1)
    })

    it('honours a per-request timeout and an AbortSignal', async () => {
      const client = createClient({ socketPath: tmp.socketPath })
      expect(await caught(client.request('GET', '/v1/hang', undefined, { timeoutMs: 50 }))).to.have.property('code', 'CONTROL_TIMEOUT')
      const ac = new AbortController()
      const p = client.request('GET', '/v1/hang', undefined, { signal: ac.signal })
      ac.abort()
      expect(await caught(p)).to.have.property('code', 'ABORTED')
    })
  })

  it('keeps its connection: 20 requests in a row use one socket, and each is signed anew', async () => {
    let connections = 0
    const nonces = new Set<string>()
    const http = createHttpServer({ keepAliveTimeout: 5000 }, (req, res) => {
      nonces.add(String(req.headers['x-proof']))
      req.resume()
      req.on('end', () => { res.setHeader('content-type', 'application/json'); res.end('{"ok":true}') })
    })
    http.on('connection', () => { connections++ })
    await new Promise<void>((resolve) => http.listen(tmp.socketPath, resolve))
    try {
      let n = 0
      const client = createClient({ socketPath: tmp.socketPath, sign: async () => ({ 'x-proof': String(n++) }) })
      for (let i = 0; i < 20; i++) expect(await client.request('POST', '/v1/x', { i })).to.deep.equal({ ok: true })
      expect(connections).to.equal(1)
      expect(nonces.size).to.equal(20)
    } finally {
      http.closeAllConnections()
      await new Promise((resolve) => http.close(resolve))
    }
  })

  it('reports a missing socket as NODE_NOT_RUNNING with the start hint', async () => {
    const err = await caught(createClient({ dataDir: tmp.dir }).request('GET', '/v1/status'))
    expect(err).to.include({ code: 'NODE_NOT_RUNNING', name: 'NodeNotRunningError' })
    expect(err.message).to.equal(`no trustmesh node is running for ${tmp.dir}; start one with: trustmesh node start --data-dir ${tmp.dir}`)
  })

  it('reports a stale socket (connection refused) as NODE_NOT_RUNNING', async () => {
    await staleSocket(tmp.socketPath)
    const err = await caught(createClient({ dataDir: tmp.dir }).request('GET', '/x'))
    expect((err.cause as { code?: string }).code).to.equal('ECONNREFUSED')
    expect(err).to.have.property('code', 'NODE_NOT_RUNNING')
  })

  it('times out against a socket that accepts but never answers', async () => {
    const sockets: Socket[] = []
    const net: NetServer = createNetServer((s) => { sockets.push(s) })
    await new Promise<void>((resolve) => net.listen(tmp.socketPath, resolve))
    try {
      const err = await caught(createClient({ dataDir: tmp.dir, timeoutMs: 100 }).request('GET', '/x'))
      expect(err).to.have.property('code', 'CONTROL_TIMEOUT')
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => net.close(() => { resolve() }))
    }
  })

  it('needs a data directory or socket path', () => {
    expect(() => createClient({})).to.throw().with.property('code', 'INVALID_OPTIONS')
  })
})
