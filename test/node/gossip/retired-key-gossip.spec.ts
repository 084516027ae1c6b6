/**
 * KEY_RETIRED over the wire (DESIGN 14): two in-process nodes with real libp2p, hello and gossipsub.
 * globex knows that acme's old org key was retired; initech does not yet and holds records acme's old
 * key signed before and after the retirement. Whether they come by sync (catch-up after hello) or by
 * gossip, globex stores the earlier one and refuses the later one (ignored with KEY_RETIRED: not
 * stored, not forwarded, no penalty for initech, which could not know).
 */
import { expect } from 'chai'
import type { Connection } from '@libp2p/interface'
import { fail, ok, type Result } from '../../../identity/result.js'
import { decodeJwt, signJwt, verifyJwtSignature } from '../../../identity/jwt.js'
import { RecordTopics, type RecordTopic } from '../../../node/gossip/index.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { waitFor } from '../../helpers/mesh-fixture.js'
import { principal } from '../../helpers/principals.js'
import { link, removeDir, startGossipNode, waitForMesh, type GossipNode } from './gossip-fixture.js'

const oldAcme = principal('acme')
const RETIRED_AT = Math.floor(Date.now() / 1000) - 600

/** A topic of signed notes: any JWT whose signature verifies by its `iss`. */
function signedNotes (): RecordTopic<unknown> {
  return {
    name: RecordTopics.trust,
    sublevel: SUBLEVELS.trustAttestations,
    maxBytes: 2048,
    maxRecords: 100,
    validate: (record: string): Result<{ id: string, value: unknown }> => {
      const d = decodeJwt(record)
      if (!d.ok) return d
      const iss = d.value.payload.iss
      if (typeof iss !== 'string') return fail('MALFORMED_RECORD', 'no iss')
      const sig = verifyJwtSignature(d.value, iss)
      if (!sig.ok) return sig
      return ok({ id: String(d.value.payload.n), value: d.value.payload })
    }
  }
}

const noteBy = async (n: string, iat: number): Promise<string> => await signJwt({ iss: oldAcme.did, n, iat }, oldAcme, { typ: 'JWT' })

function verifiedConnection (from: GossipNode, to: GossipNode): Connection {
  const c = from.libp2p.getConnections().find(c => c.remotePeer.toString() === to.peerId && from.registry.isVerified(c.id))
  if (c == null) throw new Error('no verified connection')
  return c
}

describe('KEY_RETIRED over gossip and sync (in process, real libp2p)', function () {
  this.timeout(30_000)
  const nodes: GossipNode[] = []
  afterEach(async () => {
    await Promise.all(nodes.map(async n => { await n.stop().catch(() => {}) }))
    await Promise.all(nodes.map(async n => { await removeDir(n.dir) }))
    nodes.length = 0
  })

  it('a partner that knows of the rotation refuses the retired key\'s later records by sync and by gossip, and keeps the earlier ones', async () => {
    const initech = await startGossipNode('initech', undefined, { topics: () => [signedNotes()] })
    nodes.push(initech)
    const globex = await startGossipNode('globex', undefined, { retiredAt: (did) => did === oldAcme.did ? RETIRED_AT : undefined, topics: () => [signedNotes()] })
    nodes.push(globex)
    // initech holds both before they meet
    expect((await initech.gossip.publish(RecordTopics.trust, await noteBy('early', RETIRED_AT - 60))).ok).to.equal(true)
    expect((await initech.gossip.publish(RecordTopics.trust, await noteBy('late', RETIRED_AT + 60))).ok).to.equal(true)
    // and globex refuses a local publish of the late one at once
    const local = await globex.gossip.publish(RecordTopics.trust, await noteBy('late-local', RETIRED_AT + 1))
    expect(local.ok ? '' : local.error.code).to.equal('KEY_RETIRED')

    await link(initech, globex)
    const summary = await globex.gossip.syncWith(verifiedConnection(globex, initech))
    expect(summary.fetched[RecordTopics.trust] ?? 0, 'both were offered').to.be.at.least(1)
    const stored = async (): Promise<string[]> => (await globex.gossip.list(RecordTopics.trust)).map(e => e.id)
    await waitFor(async () => (await stored()).includes('early'), 10_000, 'the early record to reach globex')
    expect(await stored()).to.not.include('late')

    // by gossip: the late one is not stored, a later honest record is
    await waitForMesh([[initech, globex]], RecordTopics.trust)
    expect((await initech.gossip.publish(RecordTopics.trust, await noteBy('late-2', RETIRED_AT + 120))).ok).to.equal(true)
    expect((await initech.gossip.publish(RecordTopics.trust, await noteBy('early-2', RETIRED_AT - 120))).ok).to.equal(true)
    await waitFor(async () => (await stored()).includes('early-2'), 10_000, 'the second early record to arrive by gossip')
    expect(await stored()).to.not.include('late-2')
    expect(globex.registry.isRefused(initech.peerId), 'initech could not know: no penalty').to.equal(undefined)
  })
})
