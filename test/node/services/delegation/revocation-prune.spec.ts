/**
 * Revocations are pruned (issue 15 item 2): on the delegation service's timer, a revocation of a token
 * this node knows is deleted (record and index, one batch) once the token has expired; one of a token
 * it does not know once the revocation is older than the longest delegation lifetime allowed here.
 * An in-process node on a fake clock.
 */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { initOrganisation } from '../../../../node/init-org.js'
import { createNode, type TrustmeshNode } from '../../../../node/create-node.js'
import { RecordTopics } from '../../../../node/gossip/index.js'
import { cidOfJwt, issueDelegation, issueRevocation } from '../../../../identity/ucan/index.js'
import { Ed25519Signer } from '../../../../identity/signer.js'
import { silentLogger } from '../../../../identity/logger.js'
import { fakeClock } from '../../../helpers/clock.js'
import { waitFor } from '../../../helpers/mesh-fixture.js'
import { alice, bob } from '../../../helpers/principals.js'

const PASS = 'revocation-prune-test-pass'
const HOUR = 3600_000
const MAX_TTL_S = 30 * 24 * 3600

describe('delegation: revocations are pruned once they no longer matter', function () {
  this.timeout(60_000)
  let dir: string
  let node: TrustmeshNode | undefined
  const clock = fakeClock(Date.now())

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-prune-'))
    await initOrganisation({ dataDir: dir, orgName: 'acme', passphrase: PASS, clock, scryptN: 1024 })
    node = await createNode({ dataDir: dir, passphrase: PASS, clock, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, logger: silentLogger(), settings: { revocationPruneIntervalMs: 25, maxDelegationTtlSeconds: MAX_TTL_S } })
    await node.start()
  })
  afterEach(async () => {
    await node?.stop()
    node = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('a known token\'s revocation goes after the token expires; an unknown token\'s after the maximum TTL; both from disk and memory', async () => {
    if (node == null) throw new Error('no node')
    const { gossip } = node.components
    const revocations = node.services.delegation.parts.revocations
    const org = node.components.identity.orgDid
    const link = await issueDelegation(alice, { audience: bob.did, capabilities: { [`tm:${org}/records`]: { 'records/read': [{}] } }, expiration: Math.floor(clock.now() / 1000) + 3600, nonce: 'p1', proofs: [] })
    await node.services.delegation.parts.book.add(link.jwt, clock.now())
    const known = await issueRevocation(alice, cidOfJwt(link.jwt), clock)
    const unknownCid = cidOfJwt((await issueDelegation(alice, { audience: bob.did, capabilities: { [`tm:${org}/records`]: { 'records/read': [{}] } }, expiration: Math.floor(clock.now() / 1000) + 3600, nonce: 'p2', proofs: [] })).jwt)
    const parked = await issueRevocation(new Ed25519Signer(randomBytes(32)), unknownCid, clock)
    for (const jwt of [known, parked]) expect((await gossip.publish(RecordTopics.revocations, jwt)).ok).to.equal(true)
    const held = async (): Promise<string[]> => (await gossip.list(RecordTopics.revocations)).map(e => e.record)
    expect(await held()).to.have.members([known, parked])

    // the token is still valid (and then within the skew allowed): both kept, whatever the timer does
    clock.advance(HOUR)
    await new Promise(resolve => setTimeout(resolve, 200))
    expect(await held()).to.have.members([known, parked])
    expect(revocations.has(known)).to.equal(true)

    // two minutes after the token expired: the timer deletes its revocation, the parked one stays
    clock.advance(2 * 60_000)
    await waitFor(async () => !(await held()).includes(known), 10_000, 'the expired token\'s revocation to be pruned')
    expect(revocations.has(known)).to.equal(false)
    expect(await held()).to.deep.equal([parked])
    expect(revocations.has(parked)).to.equal(true)

    // past the maximum delegation lifetime: the parked one goes too
    clock.advance(MAX_TTL_S * 1000)
    await waitFor(async () => (await held()).length === 0, 10_000, 'the parked revocation to be pruned')
    expect(revocations.all()).to.deep.equal([])

    // and across a restart nothing comes back from the index
    await node.stop()
    node = await createNode({ dataDir: dir, passphrase: PASS, clock, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, logger: silentLogger() })
    await node.start()
    expect(node.services.delegation.parts.revocations.all()).to.deep.equal([])
  })
})
