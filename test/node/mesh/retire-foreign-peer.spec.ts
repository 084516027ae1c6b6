import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { issueNodeCredential } from '../../../identity/credentials.js'
import { systemClock } from '../../../identity/clock.js'
import { silentLogger } from '../../../identity/logger.js'
import { libp2pPrivateKeyFromSeed, peerIdStringFromPublicKey } from '../../../identity/peer-id.js'
import { formatSwarmKey, parseSwarmKey } from '../../../node/libp2p/swarm-key.js'
import { buildMeshStack } from '../../../node/mesh-stack.js'
import { RetiredPeers, type RetiredPeer } from '../../../node/mesh/retired-peers.js'
import { openStore, type Store } from '../../../node/store/open-store.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { startMeshNode, waitFor, type MeshFixture } from '../../helpers/mesh-fixture.js'
import { principal, seedFor } from '../../helpers/principals.js'

const swarmKey = parseSwarmKey(formatSwarmKey(new Uint8Array(32).fill(7)))

/**
 * A node key rotation retires PeerIds only for the org that made it: a partner whose NodeCredential
 * names another org's PeerId in `replaces` neither retires it nor closes its connections.
 */
describe('retired PeerIds: a partner naming another org\'s PeerId in replaces', function () {
  this.timeout(30_000)
  const started: Array<{ stop: () => Promise<void> }> = []
  let dir: string
  let store: Store
  beforeEach(async () => { dir = mkdtempSync(join(tmpdir(), 'tm-abort-')); store = await openStore(dir) })
  afterEach(async () => { await Promise.all(started.splice(0).map(async n => { await n.stop() })); await store.close(); rmSync(dir, { recursive: true, force: true }) })

  it('does not close the victim org\'s connections', async () => {
    // initech: the node under test, with RetiredPeers wired like create-node
    const org = principal('initech')
    const privateKey = await libp2pPrivateKeyFromSeed(seedFor('initech-node'))
    const peerId = peerIdStringFromPublicKey(privateKey.publicKey.raw)
    const nodeCredential = await issueNodeCredential(org, { peerId, orgName: 'initech' }, { clock: systemClock, ttlSeconds: 3600 })
    const retired = new RetiredPeers({ repo: store.repository<RetiredPeer>(SUBLEVELS.retiredPeers) })
    const stack = await buildMeshStack({
      privateKey, swarmKey, listen: ['/ip4/127.0.0.1/tcp/0'], orgDid: org.did, clock: systemClock, logger: silentLogger(), dialTimeoutMs: 3_000,
      localHello: () => ({ v: 1, nodeCredential, orgName: 'initech', software: 't', policyDigest: 'sha256:test' }) as never,
      retiredPeers: { check: (p: string, o: string) => retired.check(p, o), retire: async (o: string, by: string, at: number, ps: readonly string[]) => await retired.retire(o, by, at, ps) }
    } as never)
    await stack.mesh.start()
    started.push({ stop: async () => { await stack.mesh.stop(); await stack.libp2p.stop() } })
    const addr = stack.libp2p.getMultiaddrs()[0].toString()

    const globex: MeshFixture = await startMeshNode({ orgName: 'globex', swarmKey })
    started.push(globex)
    await stack.enrolments.add({ orgDid: globex.org.did }, Date.now())
    await globex.enrolments.add({ orgDid: org.did, addrs: [addr] }, Date.now())
    await globex.mesh.connectionToOrg(org.did, { signal: AbortSignal.timeout(5_000) })
    await waitFor(() => stack.registry.peersOfOrg(globex.org.did).length === 1, 5_000, 'initech to verify globex')

    expect(stack.libp2p.getConnections().filter(c => c.remotePeer.toString() === globex.peerId).length).to.be.at.least(1)
    // mallory (an enrolled partner) names globex's PeerId as a node it "replaced"
    const mallory = await startMeshNode({ orgName: 'mallory', swarmKey, nodeCredential: async (p, o) => await issueNodeCredential(o, { peerId: p, orgName: 'mallory', replaces: [globex.peerId] }, { clock: systemClock, ttlSeconds: 3600 }) })
    started.push(mallory)
    await stack.enrolments.add({ orgDid: mallory.org.did }, Date.now())
    await mallory.enrolments.add({ orgDid: org.did, addrs: [addr] }, Date.now())
    await mallory.mesh.connectionToOrg(org.did, { signal: AbortSignal.timeout(5_000) })
    await waitFor(() => stack.registry.peersOfOrg(mallory.org.did).length === 1, 5_000, 'initech to verify mallory')
    await new Promise(resolve => setTimeout(resolve, 500))
    const toGlobex = stack.libp2p.getConnections().filter(c => c.remotePeer.toString() === globex.peerId)
    expect(retired.check(globex.peerId, globex.org.did).ok, 'not retired for globex').to.equal(true)
    expect(toGlobex.length, 'globex\'s connection was aborted by mallory\'s credential').to.be.at.least(1)
  })
})
