/**
 * Prompt reconnects (issue 15 item 10): while an enrolled partner is down, redials back off with
 * jitter but never wait more than MAX_REDIAL_BACKOFF_MS (well below 60 s); a partner that dials us or
 * is rediscovered is dialled again at once, whatever the backoff. A fake libp2p whose dials fail
 * records when the mesh dials; the mesh's clock is a fake one advanced by the test.
 */
import { expect } from 'chai'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Mesh, MAX_REDIAL_BACKOFF_MS } from '../../../node/mesh/mesh.js'
import { PeerRegistry } from '../../../node/mesh/peer-registry.js'
import type { MeshLibp2p } from '../../../node/libp2p/create-libp2p.js'
import type { Enrolment } from '../../../node/mesh/enrolments.js'
import { silentLogger } from '../../../identity/logger.js'
import { fakeClock, type FakeClock } from '../../helpers/clock.js'
import { globex } from '../../helpers/principals.js'

const T0 = Date.UTC(2026, 11, 2)

interface FakeNet { libp2p: MeshLibp2p, events: EventTarget, dials: number[] }

async function fakeNet (clock: FakeClock): Promise<FakeNet> {
  const events = new EventTarget()
  const dials: number[] = []
  const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const libp2p = {
    peerId: self,
    handle: async () => {},
    getConnections: () => [],
    dial: async () => { dials.push(clock.now()); throw new Error('connection refused') },
    addEventListener: events.addEventListener.bind(events),
    removeEventListener: events.removeEventListener.bind(events)
  } as unknown as MeshLibp2p
  return { libp2p, events, dials }
}

const flush = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve)) }

describe('mesh reconnects promptly', () => {
  let mesh: Mesh | undefined
  afterEach(async () => { await mesh?.stop(); mesh = undefined })

  async function setup (): Promise<{ clock: FakeClock, net: FakeNet, addr: string, peer: string }> {
    const clock = fakeClock(T0)
    const net = await fakeNet(clock)
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const addr = `/ip4/127.0.0.1/tcp/4001/p2p/${peer}`
    const enrolment: Enrolment = { orgDid: globex.did, addrs: [addr], maxRing: 3, preTrusted: false, enrolledAt: T0 }
    mesh = new Mesh({
      libp2p: net.libp2p,
      registry: new PeerRegistry(clock),
      enrolments: { get: (d) => d === globex.did ? enrolment : undefined, list: () => [enrolment] },
      clock,
      logger: silentLogger(),
      localHello: () => { throw new Error('no hello in this test') }
    })
    await mesh.start()
    await flush()
    return { clock, net, addr, peer }
  }

  /** Ten simulated minutes of the partner being down, a redial pass every simulated second. */
  async function downFor (clock: FakeClock, ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 1_000) {
      clock.advance(1_000)
      mesh?.redial()
      await flush()
    }
  }

  it(`a partner down for ten minutes is redialled at least every ${MAX_REDIAL_BACKOFF_MS} ms (+ 1 s tick), with jitter`, async () => {
    const { clock, net } = await setup()
    await downFor(clock, 600_000)
    expect(MAX_REDIAL_BACKOFF_MS).to.be.at.most(15_000)
    const gaps = net.dials.slice(1).map((t, i) => t - net.dials[i])
    expect(gaps.length).to.be.at.least(600_000 / (MAX_REDIAL_BACKOFF_MS + 1_000) - 1)
    expect(Math.max(...gaps)).to.be.at.most(MAX_REDIAL_BACKOFF_MS + 1_000)
    // jitter: once at the cap, the gaps are not all the same
    expect(new Set(gaps.slice(-10)).size).to.be.greaterThan(1)
  })

  it('a rediscovered partner is dialled at once, whatever the backoff', async () => {
    const { clock, net, peer } = await setup()
    await downFor(clock, 120_000)
    const before = net.dials.length
    const { peerIdFromString } = await import('@libp2p/peer-id')
    const { multiaddr } = await import('@multiformats/multiaddr')
    net.events.dispatchEvent(new CustomEvent('peer:discovery', { detail: { id: peerIdFromString(peer), multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/4001')] } }))
    await flush()
    expect(net.dials.length).to.equal(before + 1)
  })

  it('a partner that dials us is redialled at once on its enrolled addresses when that connection does not hold', async () => {
    const { clock, net, peer } = await setup()
    await downFor(clock, 120_000)
    const before = net.dials.length
    const { peerIdFromString } = await import('@libp2p/peer-id')
    const conn = { id: 'c1', direction: 'inbound', remotePeer: peerIdFromString(peer), status: 'open', abort: () => {} }
    net.events.dispatchEvent(new CustomEvent('connection:open', { detail: conn }))
    mesh?.redial()
    await flush()
    expect(net.dials.length).to.equal(before + 1)
  })
})
