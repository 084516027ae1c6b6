/**
 * A flooding partner (issue 15 item 2, DESIGN.md section 11): three in-process nodes over real libp2p
 * (acme the target, mallory an enrolled partner that floods, globex an honest partner). Mallory holds
 * and serves through sync, and publishes through gossip, validly signed records of all three kinds:
 * revocations of unknown tokens signed by throw-away keys, checkpoints of made-up node keys, and
 * attestations (signed by mallory's own org) about strangers. Acme keeps at most its per-issuer cap of
 * parked revocations from mallory and none of the rest, its database grows by a bounded amount, a catch-up
 * session fetches at most the per-peer cap a topic, and globex's records are still accepted.
 */
import { expect } from 'chai'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { initOrganisation } from '../../../node/init-org.js'
import { createNode, type TrustmeshNode } from '../../../node/create-node.js'
import { RecordTopics } from '../../../node/gossip/index.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { formatSwarmKey } from '../../../node/libp2p/swarm-key.js'
import { issueRevocation } from '../../../identity/ucan/index.js'
import { Ed25519Signer } from '../../../identity/signer.js'
import { silentLogger } from '../../../identity/logger.js'
import { systemClock } from '../../../identity/clock.js'
import { signCheckpoint } from '../../../audit/checkpoint.js'
import { issueAttestation } from '../../../trust/index.js'
import { attestationId } from '../../../node/services/trust/attestation-topic.js'
import { waitFor } from '../../helpers/mesh-fixture.js'

const PASS = 'record-flood-test-pass'
const FLOOD = 1_500
const PER_PEER = 300
const PER_ISSUER = 100
/** Acme's database may grow by this much while it takes the flood (uncapped it was 2.9 MB for 1,500 each). */
const DB_GROWTH_BOUND = 1024 * 1024

async function dirBytes (dir: string): Promise<number> {
  let total = 0
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))).size
  }
  return total
}

/** A fake CID of the right form (CIDv1 raw sha2-256, base32): a token nobody here knows. */
function fakeCid (i: number): string {
  const digest = createHash('sha256').update(`unknown-token-${i}`).digest()
  const bytes = Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), digest])
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let bits = 0
  let value = 0
  let out = 'b'
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) { out += alphabet[(value >>> (bits - 5)) & 31]; bits -= 5 }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31]
  return out
}

describe('record gossip under a flood from an enrolled partner', function () {
  this.timeout(240_000)
  const swarmKey = formatSwarmKey()
  const dirs: string[] = []
  const nodes: TrustmeshNode[] = []

  async function start (orgName: string, settings = {}): Promise<{ node: TrustmeshNode, dir: string }> {
    const dir = await mkdtemp(join(tmpdir(), `tm-flood-${orgName}-`))
    dirs.push(dir)
    await initOrganisation({ dataDir: dir, orgName, passphrase: PASS, clock: systemClock, scryptN: 1024, swarmKey })
    const node = await createNode({ dataDir: dir, passphrase: PASS, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, logger: silentLogger(), settings })
    nodes.push(node)
    await node.start()
    return { node, dir }
  }
  const org = (n: TrustmeshNode): string => n.components.identity.orgDid
  const addr = (n: TrustmeshNode): string => n.components.libp2p.getMultiaddrs()[0].toString()
  async function link (a: TrustmeshNode, b: TrustmeshNode): Promise<void> {
    await a.components.enrolments.add({ orgDid: org(b), addrs: [addr(b)] }, Date.now())
    await b.components.enrolments.add({ orgDid: org(a), addrs: [addr(a)] }, Date.now())
    await a.components.mesh.connectionToOrg(org(b), { signal: AbortSignal.timeout(20_000) })
    await waitFor(() => a.components.registry.orgOfPeer(b.components.libp2p.peerId.toString()) === org(b) &&
      b.components.registry.orgOfPeer(a.components.libp2p.peerId.toString()) === org(a), 20_000, 'hello both ways')
  }

  let acme: { node: TrustmeshNode, dir: string }
  let mallory: { node: TrustmeshNode, dir: string }
  let globex: { node: TrustmeshNode, dir: string }
  before(async () => {
    acme = await start('acme', { gossipLimits: { perPeer: PER_PEER, perIssuer: PER_ISSUER } })
    mallory = await start('mallory')
    globex = await start('globex')
  })

  after(async () => {
    for (const n of nodes.reverse()) await n.stop().catch(() => undefined)
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  it(`1,500 each of revocations, checkpoints and attestations from one peer: acme keeps at most ${PER_ISSUER} of its revocations and none of its checkpoints or attestations, its database grows under 1 MiB, a sync session fetches at most ${PER_PEER} a topic, and globex is still served`, async () => {
    const malloryDid = org(mallory.node)

    // mallory's store holds the flood, under the ids acme's validators give these records, so sync serves it
    const revocations: string[] = []
    const batch = mallory.node.components.store.batch()
    for (let i = 0; i < FLOOD; i++) {
      const key = new Ed25519Signer(randomBytes(32))
      const jwt = await issueRevocation(key, fakeCid(i), systemClock)
      const iat = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { iat: number }
      revocations.push(jwt)
      batch.put(SUBLEVELS.revocationRecords, `${fakeCid(i)}/${key.did}/${iat.iat}`, { record: jwt, receivedAt: Date.now() })
      const nodeKey = new Ed25519Signer(randomBytes(32))
      const cp = await signCheckpoint(nodeKey, { origin: `trustmesh/${nodeKey.did}`, size: i + 1, root: randomBytes(32) })
      batch.put(SUBLEVELS.auditGossip, createHash('sha256').update(cp).digest('hex'), { record: cp, receivedAt: Date.now() })
      const at = await issueAttestation(mallory.node.components.orgSigner, { sub: new Ed25519Signer(randomBytes(32)).did, score: 900, evidence: { ok: 10, error: 0, denied: 0, timeout: 0 } }, systemClock)
      batch.put(SUBLEVELS.trustAttestations, attestationId(at), { record: at, receivedAt: Date.now() })
    }
    await batch.write()

    const before = await dirBytes(acme.dir)
    await link(acme.node, mallory.node)
    await link(acme.node, globex.node)
    const gossip = acme.node.components.gossip
    const count = async (topic: typeof RecordTopics[keyof typeof RecordTopics]): Promise<number> =>
      (await gossip.list(topic)).filter(e => e.fromOrg === malloryDid).length
    // the catch-up on connect takes the revocations it may keep
    await waitFor(async () => await count(RecordTopics.revocations) >= PER_ISSUER, 60_000, 'catch-up from mallory')

    // mallory also pushes fresh revocations through gossip, bypassing its own validation
    const pubsub = mallory.node.components.libp2p.services.pubsub
    for (let i = 0; i < 200; i++) {
      const jwt = await issueRevocation(new Ed25519Signer(randomBytes(32)), fakeCid(FLOOD + i), systemClock)
      await pubsub.publish(RecordTopics.revocations, new TextEncoder().encode(jwt)).catch(() => undefined)
    }

    // a second catch-up session: bounded work per topic, nothing more kept
    const conn = acme.node.components.libp2p.getConnections(mallory.node.components.libp2p.peerId)[0]
    const summary = await gossip.syncWith(conn)
    for (const topic of Object.values(RecordTopics)) expect(summary.fetched[topic] ?? 0, topic).to.be.at.most(PER_PEER)
    expect(summary.pulled[RecordTopics.revocations]).to.equal(0)

    // globex, honest, revokes with its own org key: accepted at acme throughout
    const honest = await issueRevocation(globex.node.components.orgSigner, fakeCid(99_999), systemClock)
    const pub = await globex.node.components.gossip.publish(RecordTopics.revocations, honest)
    expect(pub.ok).to.equal(true)
    await waitFor(async () => (await gossip.list(RecordTopics.revocations)).some(e => e.record === honest), 30_000, 'globex revocation at acme')

    expect(await count(RecordTopics.revocations)).to.equal(PER_ISSUER)
    // mallory's own node signs real checkpoints of its own log (accepted: an enrolled node's key); none of the made-up ones
    const malloryNode = mallory.node.components.nodeSigner.did
    expect((await gossip.list(RecordTopics.audit)).filter(e => e.fromOrg === malloryDid && !String(e.record).includes(`trustmesh/${malloryNode}`)).length).to.equal(0)
    expect(await count(RecordTopics.trust)).to.equal(0)
    expect(acme.node.services.delegation.parts.revocations.all().filter(r => revocations.includes(r.jwt)).length).to.be.at.most(PER_ISSUER)
    const growth = (await dirBytes(acme.dir)) - before
    expect(growth, `database growth ${growth} bytes`).to.be.below(DB_GROWTH_BOUND)
  })

  it('checkpoints are kept only from enrolled nodes\' keys: a made-up key is UNKNOWN_NODE, a partner\'s node key is accepted, a forged one refused', async () => {
    const gossip = acme.node.components.gossip
    const madeUp = new Ed25519Signer(randomBytes(32))
    const stray = await gossip.publish(RecordTopics.audit, await signCheckpoint(madeUp, { origin: `trustmesh/${madeUp.did}`, size: 3, root: randomBytes(32) }))
    expect(stray.ok ? 'accepted' : stray.error.code).to.equal('UNKNOWN_NODE')
    const partnerKey = globex.node.components.nodeSigner
    const honest = await gossip.publish(RecordTopics.audit, await signCheckpoint(partnerKey, { origin: `trustmesh/${partnerKey.did}`, size: 3, root: randomBytes(32) }))
    expect(honest.ok).to.equal(true)
    // the partner's node key named as origin, signed by another key: not the partner's checkpoint
    const forged = await gossip.publish(RecordTopics.audit, await signCheckpoint(madeUp, { origin: `trustmesh/${partnerKey.did}`, size: 4, root: randomBytes(32) }))
    expect(forged.ok).to.equal(false)
    // mallory's node key (enrolled, verified) is accepted too, while the ones it made up never were
    const malloryKey = mallory.node.components.nodeSigner
    expect((await gossip.publish(RecordTopics.audit, await signCheckpoint(malloryKey, { origin: `trustmesh/${malloryKey.did}`, size: 9, root: randomBytes(32) }))).ok).to.equal(true)
  })
})
