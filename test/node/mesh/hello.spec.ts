import { expect } from 'chai'
import { multiaddr } from '@multiformats/multiaddr'
import { formatSwarmKey, parseSwarmKey } from '../../../node/libp2p/swarm-key.js'
import { issueNodeCredential } from '../../../identity/credentials.js'
import { systemClock } from '../../../identity/clock.js'
import { startMeshNode, waitFor, type MeshFixture } from '../../helpers/mesh-fixture.js'
import { HELLO_PROTOCOL } from '../../../protocols/hello/messages.js'
import { jsonStream } from '../../../protocols/codec.js'

const swarmKey = parseSwarmKey(formatSwarmKey(new Uint8Array(32).fill(7)))

describe('hello over real libp2p connections', function () {
  this.timeout(20_000)
  const started: MeshFixture[] = []
  const start = async (...args: Parameters<typeof startMeshNode>): Promise<MeshFixture> => {
    const n = await startMeshNode(...args)
    started.push(n)
    return n
  }
  afterEach(async () => { await Promise.all(started.splice(0).map(async n => { await n.stop() })) })

  it('enrolled orgs complete hello and see each other verified', async () => {
    const a = await start({ orgName: 'acme', swarmKey })
    const b = await start({ orgName: 'globex', swarmKey })
    await a.enrolments.add({ orgDid: b.org.did, addrs: [b.addr()] }, Date.now())
    await b.enrolments.add({ orgDid: a.org.did }, Date.now())
    const conn = await a.mesh.connectionToOrg(b.org.did, { signal: AbortSignal.timeout(5_000) })
    expect(conn.remotePeer.toString()).to.equal(b.peerId)
    await waitFor(() => b.registry.peersOfOrg(a.org.did).length === 1, 5_000, 'b to verify a')
    expect(a.registry.orgOfPeer(b.peerId)).to.equal(b.org.did)
    expect(b.registry.peers()[0].orgName).to.equal('acme')
  })

  it('refuses an org the listener has not enrolled, with ORG_NOT_ENROLLED, and closes the connection', async () => {
    const a = await start({ orgName: 'acme', swarmKey })
    const b = await start({ orgName: 'globex', swarmKey })
    await a.enrolments.add({ orgDid: b.org.did, addrs: [b.addr()] }, Date.now())
    // b never enrols acme
    await a.libp2p.dial(multiaddr(b.addr()), { signal: AbortSignal.timeout(3_000) })
    await waitFor(() => b.registry.isRefused(a.peerId) != null, 5_000, 'b to refuse a')
    expect(b.registry.isRefused(a.peerId)?.reason).to.equal('ORG_NOT_ENROLLED')
    await waitFor(() => a.libp2p.getConnections().length === 0, 5_000, 'connection closed')
    expect(a.registry.peers()).to.have.length(0)
    expect(b.registry.peers()).to.have.length(0)
  })

  it('refuses a NodeCredential whose sub is another PeerId (PEER_ID_MISMATCH)', async () => {
    const a = await start({
      orgName: 'acme',
      swarmKey,
      // a valid credential from acme, but for a different node
      nodeCredential: async (_peerId, org) => await issueNodeCredential(org, { peerId: '12D3KooWQK1wnefoLrcVHbbnf5tLzbopUd3K3bFAoJpA7YJgL5pV', orgName: 'acme' }, { clock: systemClock, ttlSeconds: 3600 })
    })
    const b = await start({ orgName: 'globex', swarmKey })
    await b.enrolments.add({ orgDid: a.org.did }, Date.now())
    await a.libp2p.dial(multiaddr(b.addr()), { signal: AbortSignal.timeout(3_000) })
    await waitFor(() => b.registry.isRefused(a.peerId) != null, 5_000, 'b to refuse a')
    expect(b.registry.isRefused(a.peerId)?.reason).to.equal('PEER_ID_MISMATCH')
  })

  it('never completes a connection with the wrong swarm key', async () => {
    const a = await start({ orgName: 'acme', swarmKey: parseSwarmKey(formatSwarmKey(new Uint8Array(32).fill(9))) })
    const b = await start({ orgName: 'globex', swarmKey })
    const t0 = Date.now()
    let error: Error | undefined
    try { await a.libp2p.dial(multiaddr(b.addr()), { signal: AbortSignal.timeout(3_000) }) } catch (err) { error = err as Error }
    expect(error, 'dial must fail').to.not.equal(undefined)
    expect(Date.now() - t0).to.be.lessThan(3_500)
    expect(b.libp2p.getConnections()).to.have.length(0)
  })

  it('serves no trustmesh protocol before hello, and closes a connection that never says hello', async () => {
    const a = await start({ orgName: 'acme', swarmKey, helloTimeoutMs: 600 })
    const b = await start({ orgName: 'globex', swarmKey, helloTimeoutMs: 600 })
    let served = 0
    await b.mesh.handle('/trustmesh/test/1.0.0', async (stream) => { served++; await stream.close() })
    // acme's node dials without being enrolled anywhere: hello fails at b, and b refuses
    const conn = await a.libp2p.dial(multiaddr(b.addr()), { signal: AbortSignal.timeout(3_000) })
    let streamError: Error | undefined
    try {
      const s = await conn.newStream('/trustmesh/test/1.0.0', { signal: AbortSignal.timeout(2_000) })
      const js = jsonStream(s, 1024)
      await js.write({ hi: 1 })
      await js.read((v) => ({ ok: true, value: v }), { signal: AbortSignal.timeout(2_000) })
    } catch (err) { streamError = err as Error }
    expect(streamError, 'stream must fail').to.not.equal(undefined)
    expect(served).to.equal(0)
    await waitFor(() => b.libp2p.getConnections().length === 0, 5_000, 'provisional connection closed')
  })

  it('resets a hello stream with an oversized message and keeps serving honest peers', async () => {
    const a = await start({ orgName: 'acme', swarmKey })
    const b = await start({ orgName: 'globex', swarmKey })
    const c = await start({ orgName: 'initech', swarmKey })
    await b.enrolments.add({ orgDid: c.org.did }, Date.now())
    await c.enrolments.add({ orgDid: b.org.did, addrs: [b.addr()] }, Date.now())
    await a.mesh.stop() // the attacker speaks raw libp2p: no hello of its own
    const conn = await a.libp2p.dial(multiaddr(b.addr()), { signal: AbortSignal.timeout(3_000) })
    const s = await conn.newStream(HELLO_PROTOCOL, { signal: AbortSignal.timeout(2_000) })
    const js = jsonStream(s, 1024 * 1024)
    await js.write({ junk: 'x'.repeat(200 * 1024) }).catch(() => {})
    await waitFor(() => b.registry.isRefused(a.peerId) != null, 5_000, 'b to refuse the oversized hello')
    const r = b.registry.isRefused(a.peerId); expect(r?.reason, JSON.stringify(r)).to.equal('MESSAGE_TOO_LARGE')
    await c.mesh.connectionToOrg(b.org.did, { signal: AbortSignal.timeout(5_000) })
    await waitFor(() => b.registry.peersOfOrg(c.org.did).length === 1, 5_000, 'honest peer verified')
  })

  it('peer removal cuts the connection and refuses the org from then on', async () => {
    const a = await start({ orgName: 'acme', swarmKey })
    const b = await start({ orgName: 'globex', swarmKey })
    await a.enrolments.add({ orgDid: b.org.did, addrs: [b.addr()] }, Date.now())
    await b.enrolments.add({ orgDid: a.org.did }, Date.now())
    await a.mesh.connectionToOrg(b.org.did, { signal: AbortSignal.timeout(5_000) })
    await waitFor(() => b.registry.peersOfOrg(a.org.did).length === 1, 5_000, 'verified')
    await b.enrolments.remove(a.org.did)
    expect(await b.mesh.disconnectOrg(a.org.did)).to.equal(1)
    await waitFor(() => b.libp2p.getConnections().length === 0, 5_000, 'connection cut')
    let error: Error | undefined
    try { await a.libp2p.dial(multiaddr(b.addr()), { signal: AbortSignal.timeout(2_000) }) } catch (err) { error = err as Error }
    // the dial may complete the transport handshake before b's gater refuses the encrypted connection
    await waitFor(() => b.libp2p.getConnections().length === 0, 5_000, 'refused again')
    expect(b.registry.peersOfOrg(a.org.did)).to.have.length(0)
    void error
  })
})
