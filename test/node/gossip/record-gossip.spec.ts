import { expect } from 'chai'
import { multiaddr } from '@multiformats/multiaddr'
import type { MeshLibp2p } from '../../../node/libp2p/create-libp2p.js'
import { startSilentHost, waitFor } from '../../helpers/mesh-fixture.js'
import {
  badNote, internals, link, note, NOTE_TOPIC, removeDir, startGossipNode, storedIds, swarmKey, waitForMesh, type GossipNode
} from './gossip-fixture.js'

const enc = new TextEncoder()

describe('record gossip over real libp2p nodes', function () {
  this.timeout(30_000)
  let nodes: GossipNode[] = []
  let extra: MeshLibp2p[] = []
  const start = async (org: string): Promise<GossipNode> => {
    const n = await startGossipNode(org)
    nodes.push(n)
    return n
  }
  afterEach(async () => {
    await Promise.all(extra.map(async l => { await l.stop() }))
    await Promise.all(nodes.map(async n => { await n.stop().catch(() => {}); await removeDir(n.dir) }))
    nodes = []
    extra = []
  })

  it('a record published on A reaches B and C (through B), is persisted and accepted once each', async () => {
    const a = await start('acme')
    const b = await start('globex')
    const c = await start('initech')
    await link(a, b)
    await link(b, c)
    await waitForMesh([[a, b], [b, c]])
    const r = await a.gossip.publish(NOTE_TOPIC, note('rev-1'))
    expect(r).to.deep.equal({ ok: true, value: { id: 'rev-1', status: 'published' } })
    await waitFor(async () => (await storedIds(c)).includes('rev-1'), 5_000, 'C to store rev-1')
    expect(await storedIds(b)).to.deep.equal(['rev-1'])
    expect(b.accepted).to.deep.equal(['rev-1'])
    expect(c.accepted).to.deep.equal(['rev-1'])
    const stored = await c.gossip.get(NOTE_TOPIC, 'rev-1')
    expect(stored?.record).to.equal(note('rev-1'))
    expect(stored?.fromOrg).to.equal(b.org.did)
  })

  it('publish refuses an invalid record locally and publishes nothing', async () => {
    const a = await start('acme')
    const r = await a.gossip.publish(NOTE_TOPIC, badNote('x'))
    expect(r.ok).to.equal(false)
    if (!r.ok) expect(r.error.code).to.equal('BAD_SIGNATURE')
    const big = await a.gossip.publish(NOTE_TOPIC, 'n'.repeat(5_000))
    expect(big.ok ? 'ok' : big.error.code).to.equal('RECORD_TOO_LARGE')
    expect(await storedIds(a)).to.deep.equal([])
  })

  it('rejects an invalid record from a verified peer: not persisted, not forwarded, sender score drops', async () => {
    const a = await start('acme')
    const b = await start('globex')
    const c = await start('initech')
    const m = await start('mallory')
    await link(m, b)
    await link(a, b)
    await link(b, c)
    await waitForMesh([[m, b], [a, b], [b, c]])
    expect(internals(b).getScore(m.peerId)).to.be.at.least(0)
    // bypass mallory's own validation: straight into gossipsub
    await m.libp2p.services.pubsub.publish(NOTE_TOPIC, enc.encode(badNote('evil')))
    await m.libp2p.services.pubsub.publish(NOTE_TOPIC, enc.encode('garbage \u0000'))
    await waitFor(() => b.gossip.stats()[NOTE_TOPIC].invalid >= 2, 5_000, 'B to reject both')
    await waitFor(() => internals(b).getScore(m.peerId) < 0, 5_000, "mallory's score at B to drop")
    // a later honest record still flows B -> C; the invalid ones never reached C
    await a.gossip.publish(NOTE_TOPIC, note('after'))
    await waitFor(async () => (await storedIds(c)).includes('after'), 5_000, 'C to store the honest record')
    expect(await storedIds(b)).to.deep.equal(['after'])
    expect(await storedIds(c)).to.deep.equal(['after'])
    expect(c.validated).to.not.include(badNote('evil'))
    expect(c.gossip.stats()[NOTE_TOPIC].invalid).to.equal(0)
    expect(internals(c).getScore(b.peerId)).to.be.at.least(0)
  })

  it('ignores duplicates: the same record under another message id is accepted once, without penalty', async () => {
    const a = await start('acme')
    const b = await start('globex')
    const c = await start('initech')
    await link(a, b)
    await link(b, c)
    await link(a, c)
    await waitForMesh([[a, b], [b, c], [a, c]])
    await a.gossip.publish(NOTE_TOPIC, note('dup'))
    await waitFor(async () => (await storedIds(c)).includes('dup') && (await storedIds(b)).includes('dup'), 5_000, 'B and C to store dup')
    // B re-sends the same record as a new gossipsub message (new seqno, so a new message id)
    await b.libp2p.services.pubsub.publish(NOTE_TOPIC, enc.encode(note('dup')))
    await waitFor(() => c.gossip.stats()[NOTE_TOPIC].duplicate >= 1 && a.gossip.stats()[NOTE_TOPIC].duplicate >= 1, 5_000, 'A and C to see the duplicate')
    expect(c.accepted).to.deep.equal(['dup'])
    expect(a.accepted).to.deep.equal(['dup'])
    expect(internals(c).getScore(b.peerId)).to.be.at.least(0)
    expect(await a.gossip.publish(NOTE_TOPIC, note('dup'))).to.deep.equal({ ok: true, value: { id: 'dup', status: 'duplicate' } })
  })

  it('rejects records arriving over a connection that has not completed hello', async () => {
    const b = await start('globex')
    const x = await startSilentHost({ seedName: 'stranger-node', swarmKey })
    extra.push(x)
    x.services.pubsub.subscribe(NOTE_TOPIC)
    // x never says hello; b does not dial hello on inbound connections, so this one stays provisional
    await x.dial(multiaddr(b.addr()), { signal: AbortSignal.timeout(3_000) })
    const bId = b.libp2p.peerId.toString()
    const xId = x.peerId.toString()
    await waitFor(() => x.services.pubsub.getSubscribers(NOTE_TOPIC).some(p => p.toString() === bId) && b.libp2p.services.pubsub.getSubscribers(NOTE_TOPIC).some(p => p.toString() === xId), 5_000, 'subscriptions to be exchanged')
    // a perfectly valid record, but from an unverified sender
    await x.services.pubsub.publish(NOTE_TOPIC, enc.encode(note('sneaky')))
    await waitFor(() => b.gossip.stats()[NOTE_TOPIC].invalid >= 1, 5_000, 'B to reject it')
    await waitFor(() => internals(b).getScore(xId) < 0, 5_000, "the stranger's score at B to drop")
    expect(await storedIds(b)).to.deep.equal([])
    expect(b.validated).to.deep.equal([])
  })
})
