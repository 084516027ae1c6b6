import { expect } from 'chai'
import type { Connection } from '@libp2p/interface'
import { waitFor, startMeshNode, type MeshFixture } from '../../helpers/mesh-fixture.js'
import { jsonStream } from '../../../protocols/codec.js'
import { SYNC_PROTOCOL, syncRequestSchema } from '../../../protocols/sync/messages.js'
import { ok } from '../../../identity/result.js'
import {
  badNote, link, note, NOTE_TOPIC, removeDir, startGossipNode, storedIds, swarmKey, type GossipNode
} from './gossip-fixture.js'

/** Wait until gossipsub's message cache on `n` no longer offers recent messages (IHAVE) for the topic. */
async function waitForGossipWindowToPass (n: GossipNode): Promise<void> {
  const mcache = (n.libp2p.services.pubsub as unknown as { mcache: { getGossipIDs: (t: Set<string>) => Map<string, unknown[]> } }).mcache
  await waitFor(() => (mcache.getGossipIDs(new Set([NOTE_TOPIC])).get(NOTE_TOPIC)?.length ?? 0) === 0, 10_000, 'gossip window to pass')
}

function verifiedConnection (from: GossipNode | MeshFixture, to: { peerId: string }): Connection {
  const c = from.libp2p.getConnections().find(c => c.remotePeer.toString() === to.peerId && from.registry.isVerified(c.id))
  if (c == null) throw new Error('no verified connection')
  return c
}

/** Read from a stream until it fails or ends; true if the remote reset it (or closed without answering). */
async function remoteGaveUp (conn: Connection, bytes: Uint8Array): Promise<boolean> {
  const stream = await conn.newStream(SYNC_PROTOCOL, { signal: AbortSignal.timeout(3_000) })
  stream.send(bytes)
  try {
    await jsonStream(stream, 1024 * 1024).read((v) => ok(v), { signal: AbortSignal.timeout(5_000) })
    return false
  } catch {
    return true
  }
}

describe('record sync (catch-up after hello)', function () {
  this.timeout(30_000)
  let nodes: GossipNode[] = []
  let plain: MeshFixture[] = []
  const start = async (org: string, dir?: string): Promise<GossipNode> => {
    const n = await startGossipNode(org, dir)
    nodes.push(n)
    return n
  }
  afterEach(async () => {
    await Promise.all(plain.map(async n => { await n.stop() }))
    await Promise.all(nodes.map(async n => { await n.stop().catch(() => {}) }))
    await Promise.all([...new Set(nodes.map(n => n.dir))].map(removeDir))
    nodes = []
    plain = []
  })

  it('a node that was stopped gets the records it missed on reconnect, and gives back what it published meanwhile', async () => {
    const a = await start('acme')
    let c = await start('initech')
    await link(c, a)
    await c.stop()
    await waitFor(() => a.registry.peers().length === 0, 5_000, 'A to see C gone')
    for (const id of ['m1', 'm2', 'm3']) expect((await a.gossip.publish(NOTE_TOPIC, note(id))).ok).to.equal(true)
    c = await start('initech', c.dir)
    expect((await c.gossip.publish(NOTE_TOPIC, note('offline-c'))).ok).to.equal(true)
    // so that the records can only arrive through sync, not gossipsub's IHAVE of recent messages
    await Promise.all([waitForGossipWindowToPass(a), waitForGossipWindowToPass(c)])
    await link(c, a)
    await waitFor(async () => (await storedIds(c)).length === 4 && (await storedIds(a)).length === 4, 10_000, 'both to catch up')
    expect(await storedIds(c)).to.deep.equal(['m1', 'm2', 'm3', 'offline-c'])
    expect(c.accepted).to.have.members(['offline-c', 'm1', 'm2', 'm3'])
    expect(c.gossip.stats()[NOTE_TOPIC].synced).to.equal(3)
    expect(a.gossip.stats()[NOTE_TOPIC].synced).to.equal(1)
    expect((await a.gossip.get(NOTE_TOPIC, 'offline-c'))?.fromOrg).to.equal(c.org.did)
  })

  it('resets an oversized or malformed sync message and keeps serving honest peers', async () => {
    const a = await start('acme')
    await a.gossip.publish(NOTE_TOPIC, note('kept'))
    const m = await startMeshNode({ orgName: 'mallory', swarmKey })
    plain.push(m)
    await a.enrolments.add({ orgDid: m.org.did }, Date.now())
    await m.enrolments.add({ orgDid: a.org.did, addrs: [a.addr()] }, Date.now())
    await m.mesh.connectionToOrg(a.org.did, { signal: AbortSignal.timeout(5_000) })
    await waitFor(() => a.registry.orgOfPeer(m.peerId) === m.org.did, 5_000, 'A to verify mallory')
    const conn = verifiedConnection(m, a)
    // a length prefix of 2^40 bytes (varint), then a little junk
    expect(await remoteGaveUp(conn, Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 1, 2, 3]))).to.equal(true)
    // well-framed, not JSON
    const junk = new TextEncoder().encode('{not json')
    expect(await remoteGaveUp(conn, Uint8Array.from([junk.length, ...junk]))).to.equal(true)
    // JSON, wrong shape
    const shape = new TextEncoder().encode(JSON.stringify({ v: 1, op: 'get', topic: NOTE_TOPIC, ids: 'all' }))
    expect(await remoteGaveUp(conn, Uint8Array.from([shape.length, ...shape]))).to.equal(true)
    expect(conn.status).to.equal('open')
    // an honest peer still syncs from A
    const b = await start('globex')
    await link(b, a)
    await waitFor(async () => (await storedIds(b)).includes('kept'), 5_000, 'B to sync from A')
  })

  it('drops a sync peer that serves invalid or unrequested records, storing none of them', async () => {
    const a = await start('acme')
    for (const [org, answer] of [['mallory', badNote('evil')], ['globex', note('unasked')]] as const) {
      const m = await startMeshNode({ orgName: org, swarmKey })
      plain.push(m)
      let served = 0
      await m.mesh.handle(SYNC_PROTOCOL, async (stream) => {
        const js = jsonStream(stream, 1024 * 1024)
        const req = await js.read(syncRequestSchema)
        served++
        if (req.op === 'ids') await js.write({ v: 1, op: 'ids', ids: ['evil'], more: false })
        await js.read(syncRequestSchema)
        await js.write({ v: 1, op: 'records', records: [answer] })
        await js.read(syncRequestSchema).catch(() => {})
      })
      await a.enrolments.add({ orgDid: m.org.did }, Date.now())
      await m.enrolments.add({ orgDid: a.org.did, addrs: [a.addr()] }, Date.now())
      await m.mesh.connectionToOrg(a.org.did, { signal: AbortSignal.timeout(5_000) })
      await waitFor(() => served > 0, 5_000, `A to sync from ${org}`)
    }
    await waitFor(() => a.gossip.stats()[NOTE_TOPIC].invalid >= 2, 5_000, 'A to refuse both answers')
    expect(await storedIds(a)).to.deep.equal([])
    expect(a.accepted).to.deep.equal([])
    // A is unharmed: it still accepts and stores its own records
    expect((await a.gossip.publish(NOTE_TOPIC, note('fine'))).ok).to.equal(true)
  })
})
