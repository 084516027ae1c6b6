/**
 * Hostile peers against real in-process mesh nodes (libp2p with pnet, Noise, Yamux on loopback):
 * length-prefix bombs, truncated frames, garbage, deep JSON, stream floods and stalled hellos, against
 * the hello handler and against a hello-gated protocol. Each time the node stays up, the offending
 * stream is reset or the connection closed, a peer that broke hello is refused by the gater, and an
 * honest peer still completes hello and is served meanwhile. Process RSS growth stays bounded.
 */
import { expect } from 'chai'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Stream } from '@libp2p/interface'
import { formatSwarmKey, parseSwarmKey } from '../../node/libp2p/swarm-key.js'
import type { MeshLibp2p } from '../../node/libp2p/create-libp2p.js'
import { jsonStream, ProtocolError } from '../../protocols/codec.js'
import { HELLO_PROTOCOL } from '../../protocols/hello/messages.js'
import { int, literal, object, schemaOf } from '../../protocols/schema.js'
import { startMeshNode, startSilentHost, waitFor, type MeshFixture } from '../helpers/mesh-fixture.js'
import { deepJson, LONG } from './fuzz-kit.js'

const swarmKey = parseSwarmKey(formatSwarmKey(new Uint8Array(32).fill(11)))
const ECHO = '/trustmesh/fuzz-echo/1.0.0'
const ECHO_MAX_BYTES = 4 * 1024
const HELLO_TIMEOUT_MS = 1_500
const echoSchema = schemaOf<{ v: 1, n: number }>('echo', object({ v: literal(1), n: int(0, 1e9) }))

/** Unsigned LEB128, as the length prefix is written. */
function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80) }
  out.push(n)
  return new Uint8Array(out)
}

function frame (body: Uint8Array | string): Uint8Array {
  const b = typeof body === 'string' ? new TextEncoder().encode(body) : body
  return new Uint8Array([...varint(b.length), ...b])
}

interface Attacker { libp2p: MeshLibp2p, peerId: string }
let attackerCount = 0

/** A libp2p host with the right swarm key that never says hello on its own. */
async function startAttacker (): Promise<Attacker> {
  const libp2p = await startSilentHost({ seedName: `attacker-${attackerCount++}`, swarmKey, listen: [], dialTimeoutMs: 3_000 })
  return { libp2p, peerId: libp2p.peerId.toString() }
}

/** Resolves when the stream ends at this side (closed, reset or aborted), with what it read. */
async function drain (stream: Stream, timeoutMs = 5_000): Promise<{ bytes: number, error?: Error }> {
  let bytes = 0
  const signal = AbortSignal.timeout(timeoutMs)
  try {
    for await (const chunk of stream) {
      bytes += chunk.byteLength
      if (signal.aborted) throw new Error('stream still open')
    }
    return { bytes }
  } catch (err) {
    return { bytes, error: err as Error }
  }
}

function rssMiB (): number {
  return process.memoryUsage().rss / 1024 / 1024
}

describe('fuzz: hostile peers against protocol handlers (real libp2p)', function () {
  this.timeout(60_000)
  let server: MeshFixture
  let honest: MeshFixture
  let served: number
  let malformed: Map<string, number>
  const attackers: Attacker[] = []
  const fixtures: MeshFixture[] = []
  let rssAtStart = 0

  before(() => { rssAtStart = rssMiB() })
  after(() => {
    if (global.gc != null) global.gc()
    const growth = rssMiB() - rssAtStart
    expect(growth, `RSS grew ${growth.toFixed(1)} MiB over the hostile-peer tests`).to.be.lessThan(50)
  })

  beforeEach(async () => {
    served = 0
    malformed = new Map()
    server = await startMeshNode({ orgName: 'acme', swarmKey, helloTimeoutMs: HELLO_TIMEOUT_MS })
    honest = await startMeshNode({ orgName: 'globex', swarmKey, helloTimeoutMs: HELLO_TIMEOUT_MS })
    fixtures.push(server, honest)
    await server.enrolments.add({ orgDid: honest.org.did }, Date.now())
    await honest.enrolments.add({ orgDid: server.org.did, addrs: [server.addr()] }, Date.now())
    // a hello-gated protocol reading through the shared codec, as every trustmesh protocol does
    await server.mesh.handle(ECHO, async (stream, connection) => {
      const js = jsonStream(stream, ECHO_MAX_BYTES)
      try {
        const msg = await js.read(echoSchema, { signal: AbortSignal.timeout(2_000) })
        await js.write({ v: 1, n: msg.n + 1 })
        served++
        await stream.close()
      } catch (err) {
        const peer = connection.remotePeer.toString()
        malformed.set(peer, (malformed.get(peer) ?? 0) + 1)
        stream.abort(err instanceof ProtocolError ? err : new ProtocolError('STREAM_ERROR', (err as Error).message))
      }
    }, { maxInboundStreams: 32 })
  })

  afterEach(async () => {
    await Promise.all(attackers.splice(0).map(async a => { await a.libp2p.stop() }))
    await Promise.all(fixtures.splice(0).map(async f => { await f.stop() }))
  })

  /** The honest peer completes hello (again, on a fresh connection if needed) and gets an echo. */
  async function honestIsServed (n = 1): Promise<void> {
    const conn = await honest.mesh.connectionToOrg(server.org.did, { signal: AbortSignal.timeout(8_000) })
    for (let i = 0; i < n; i++) {
      const stream = await conn.newStream(ECHO, { signal: AbortSignal.timeout(3_000) })
      const js = jsonStream(stream, ECHO_MAX_BYTES)
      await js.write({ v: 1, n: 41 })
      const reply = await js.read(echoSchema, { signal: AbortSignal.timeout(3_000) })
      expect(reply.n).to.equal(42)
      await stream.close()
    }
  }

  async function attacker (): Promise<Attacker> {
    const a = await startAttacker()
    attackers.push(a)
    return a
  }

  async function dial (a: Attacker): Promise<Connection> {
    return await a.libp2p.dial(multiaddr(server.addr()), { signal: AbortSignal.timeout(3_000) })
  }

  /** Send raw bytes on a fresh hello stream and expect the server to refuse the peer with `code`. */
  async function badHello (bytes: Uint8Array[], code: string, closeAfter = false): Promise<void> {
    const a = await attacker()
    const conn = await dial(a)
    const stream = await conn.newStream(HELLO_PROTOCOL, { signal: AbortSignal.timeout(3_000) })
    for (const b of bytes) stream.send(b)
    if (closeAfter) void stream.close().catch(() => {})
    const r = await drain(stream)
    expect(r.bytes, 'the server answers a bad hello with nothing').to.equal(0)
    await waitFor(() => server.registry.isRefused(a.peerId) != null, 5_000, `${code}: the server to refuse the attacker`)
    expect(server.registry.isRefused(a.peerId)?.reason).to.equal(code)
    await waitFor(() => a.libp2p.getConnections().length === 0, 5_000, `${code}: the connection to be closed`)
    // the gater now refuses the offender's PeerId: a redial fails, or (the dialer may finish its side
    // of the upgrade first) its connection is closed at once and never gets a stream served
    await dial(a).catch(() => undefined)
    await waitFor(() => a.libp2p.getConnections().length === 0 && server.libp2p.getConnections().every(c => c.remotePeer.toString() !== a.peerId), 3_000, `${code}: the redial to be refused`)
    expect(server.registry.peers().map(p => p.peerId)).to.not.include(a.peerId)
    await honestIsServed()
  }

  it('hello: a length prefix claiming 2^40 bytes is refused at once (MESSAGE_TOO_LARGE), nothing allocated', async () => {
    const before = rssMiB()
    await badHello([varint(2 ** 40), new Uint8Array(16)], 'MESSAGE_TOO_LARGE')
    expect(rssMiB() - before).to.be.lessThan(50)
  })

  it('hello: a prefix just over the 64 KiB limit, and an over-long varint, are refused (MESSAGE_TOO_LARGE)', async () => {
    await badHello([varint(64 * 1024 + 1)], 'MESSAGE_TOO_LARGE')
    await badHello([new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])], 'MESSAGE_TOO_LARGE')
  })

  it('hello: a truncated frame (prefix 100, 10 bytes, end) is refused (UNEXPECTED_EOF)', async () => {
    await badHello([varint(100), new Uint8Array(10).fill(0x7b)], 'UNEXPECTED_EOF', true)
  })

  it('hello: garbage bytes and deep JSON in a well-formed frame are refused (MALFORMED_MESSAGE)', async () => {
    await badHello([frame(new Uint8Array([0xff, 0xfe, 0x00, 0x7b]))], 'MALFORMED_MESSAGE')
    await badHello([frame(deepJson(60_000, '[', ']', false))], 'MALFORMED_MESSAGE')
    await badHello([frame(JSON.stringify({ v: 1, nodeCredential: 'x', orgName: 'a', software: 's', policyDigest: 'd', __proto__: 1, hasOwnProperty: 2 }))], 'MALFORMED_MESSAGE')
  })

  it('hello: a stalled hello (connect, or open the stream, and say nothing) is closed and refused after the timeout', async () => {
    const silent = await attacker()
    await dial(silent)
    const stalled = await attacker()
    const conn = await dial(stalled)
    const stream = await conn.newStream(HELLO_PROTOCOL, { signal: AbortSignal.timeout(3_000) })
    // honest work goes on while both stall
    await honestIsServed(3)
    await waitFor(() => silent.libp2p.getConnections().length === 0 && stalled.libp2p.getConnections().length === 0, HELLO_TIMEOUT_MS + 4_000, 'stalled connections to be closed')
    expect((await drain(stream, 1_000)).bytes).to.equal(0)
    expect(server.registry.isRefused(silent.peerId)?.reason).to.equal('HELLO_TIMEOUT')
    // the read timeout and the connection's hello timeout race: either names the refusal
    expect(server.registry.isRefused(stalled.peerId)?.reason).to.be.oneOf(['TIMEOUT', 'HELLO_TIMEOUT', 'STREAM_ERROR'])
    await honestIsServed()
  })

  it('a flood of streams from one unverified peer is reset or refused; an honest peer completes hello and is served meanwhile', async () => {
    const a = await attacker()
    const conn = await dial(a)
    const floodSize = LONG ? 2_000 : 300
    const t0 = Date.now()
    const flood = Promise.allSettled(Array.from({ length: floodSize }, async (_, i) => {
      const s = await conn.newStream(i % 2 === 0 ? HELLO_PROTOCOL : ECHO, { signal: AbortSignal.timeout(5_000) })
      s.send(frame(JSON.stringify({ v: 1, n: i })))
      return await drain(s, 5_000)
    }))
    await honestIsServed(5)
    const honestMs = Date.now() - t0
    const results = await flood
    expect(served, 'no gated stream of the unverified flood was served').to.equal(5)
    const answered = results.filter(r => r.status === 'fulfilled' && r.value.bytes > 0)
    expect(answered, 'nothing in the flood got an answer').to.have.length(0)
    await waitFor(() => a.libp2p.getConnections().length === 0, 5_000, 'the flooding connection to be closed')
    expect(server.registry.isRefused(a.peerId), 'the flooding peer is refused').to.not.equal(undefined)
    expect(honestMs, 'honest peer served within a few seconds during the flood').to.be.lessThan(8_000)
  })

  it('hello-gated protocol from an enrolled peer: bombs, truncation, garbage and a stream flood reset streams; the honest peer is served', async () => {
    const mallory = await startMeshNode({ orgName: 'mallory', swarmKey, helloTimeoutMs: HELLO_TIMEOUT_MS })
    fixtures.push(mallory)
    await server.enrolments.add({ orgDid: mallory.org.did }, Date.now())
    await mallory.enrolments.add({ orgDid: server.org.did, addrs: [server.addr()] }, Date.now())
    const conn = await mallory.mesh.connectionToOrg(server.org.did, { signal: AbortSignal.timeout(8_000) })
    const hostile: Array<[string, Uint8Array[], boolean]> = [
      ['2^40 length prefix', [varint(2 ** 40)], false],
      ['prefix over the protocol limit', [varint(ECHO_MAX_BYTES + 1)], false],
      ['endless varint', [new Uint8Array(4_096).fill(0xff)], false],
      ['truncated frame', [varint(100), new Uint8Array(10)], true],
      ['garbage', [frame(new Uint8Array([0xc3, 0x28, 0xa0, 0xa1]))], false],
      ['deep JSON', [frame(deepJson(4_000, '[', ']', false))], false],
      ['wrong shape', [frame('{"v":1,"n":"x"}')], false]
    ]
    for (const [what, bytes, closeAfter] of hostile) {
      const s = await conn.newStream(ECHO, { signal: AbortSignal.timeout(3_000) })
      for (const b of bytes) s.send(b)
      if (closeAfter) void s.close().catch(() => {})
      const r = await drain(s)
      expect(r.bytes, `${what}: no answer`).to.equal(0)
      expect(r.error, `${what}: the stream is reset`).to.not.equal(undefined)
    }
    expect(malformed.get(mallory.peerId), 'each bad stream counted against the peer').to.equal(hostile.length)
    // a flood of streams over the verified connection: beyond maxInboundStreams they are reset
    const floodSize = LONG ? 2_000 : 200
    const flood = Promise.allSettled(Array.from({ length: floodSize }, async () => {
      const s = await conn.newStream(ECHO, { signal: AbortSignal.timeout(5_000) })
      s.send(varint(50)) // then stall: never send the body
      return await drain(s, 5_000)
    }))
    const t0 = Date.now()
    await honestIsServed(5)
    expect(Date.now() - t0, 'honest peer served during the flood').to.be.lessThan(5_000)
    await flood
    expect(server.libp2p.status).to.equal('started')
  })
})
