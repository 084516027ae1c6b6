/** Witness cosigning: consistency before cosigning, stale and inconsistent refused, equivocation recorded. */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { originForDid, signCheckpoint, verifyCosignatures, parseCheckpoint, type Checkpoint } from '../../audit/checkpoint.js'
import { consistencyProof, hashLeaf, rootHash } from '../../audit/merkle.js'
import { LevelWitnessStore, MemoryWitnessStore, Witness, compareCheckpoints, type Equivocation, type WitnessStore } from '../../audit/witness.js'
import { acme, globex, initech, mallory } from '../helpers/principals.js'
import { fakeClock } from '../helpers/clock.js'

const origin = originForDid(acme.did)
const honest = Array.from({ length: 12 }, (_, i) => hashLeaf(new TextEncoder().encode(`entry ${i}`)))
/** A fork: same first 4 entries, different history after. */
const forked = [...honest.slice(0, 4), ...Array.from({ length: 8 }, (_, i) => hashLeaf(new TextEncoder().encode(`rewritten ${i}`)))]

function parsed (text: string): Checkpoint {
  const r = parseCheckpoint(text)
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

async function cp (leaves: Uint8Array[], size: number, signer = acme): Promise<string> {
  return await signCheckpoint(signer, { origin, size, root: rootHash(leaves.slice(0, size)) })
}

function witness (name: string, signer = globex, store: WitnessStore = new MemoryWitnessStore(), seen: Equivocation[] = []): Witness {
  return new Witness({ signer, name, logs: new Map([[origin, acme.did]]), store, clock: fakeClock(), onEquivocation: (e) => seen.push(e) })
}

describe('audit/witness', () => {
  it('cosigns the first checkpoint and then only consistent extensions', async () => {
    const w = witness('witness/globex')
    const first = await w.cosign(await cp(honest, 3), [])
    expect(first.ok).to.equal(true)
    const next = await w.cosign(await cp(honest, 9), consistencyProof(honest, 3, 9))
    expect(next.ok).to.equal(true)
    if (!next.ok) return
    expect(verifyCosignatures(next.value.cosigned, [{ name: 'witness/globex', publicKeyOrDid: globex.did }]).ok).to.equal(true)
    expect(await w.latest(origin)).to.equal(next.value.cosigned)
    // The same checkpoint again is fine (same size, same root, empty proof).
    expect((await w.cosign(await cp(honest, 9), [])).ok).to.equal(true)
  })

  it('refuses a smaller checkpoint as STALE and a bad proof as INCONSISTENT, keeping the old state', async () => {
    const w = witness('witness/globex')
    await w.cosign(await cp(honest, 6), [])
    const latest = await w.latest(origin)
    const stale = await w.cosign(await cp(honest, 5), [])
    expect(stale.ok ? '' : stale.error.code).to.equal('STALE')
    const noProof = await w.cosign(await cp(honest, 8), [])
    expect(noProof.ok ? '' : noProof.error.code).to.equal('INCONSISTENT')
    const wrongProof = await w.cosign(await cp(honest, 8), consistencyProof(honest, 5, 8))
    expect(wrongProof.ok ? '' : wrongProof.error.code).to.equal('INCONSISTENT')
    expect(await w.latest(origin)).to.equal(latest)
  })

  it('refuses a fork: no proof links the rewritten history to what was cosigned', async () => {
    const w = witness('witness/globex')
    await w.cosign(await cp(honest, 6), [])
    // The node can only offer a proof from its rewritten tree.
    const r = await w.cosign(await cp(forked, 10), consistencyProof(forked, 6, 10))
    expect(r.ok ? '' : r.error.code).to.equal('INCONSISTENT')
  })

  it('records an equivocation with both checkpoints when one size has two roots', async () => {
    const seen: Equivocation[] = []
    const w = witness('witness/globex', globex, new MemoryWitnessStore(), seen)
    const a = await cp(honest, 7)
    const b = await cp(forked, 7)
    expect((await w.cosign(a, [])).ok).to.equal(true)
    const r = await w.cosign(b, [])
    expect(r.ok).to.equal(false)
    if (r.ok) return
    expect(r.error.code).to.equal('EQUIVOCATION')
    expect(r.equivocation?.evidence[1]).to.equal(b)
    expect(parseCheckpoint(r.equivocation?.evidence[0] ?? '').ok).to.equal(true)
    expect(seen).to.have.length(1)
    expect(seen[0].origin).to.equal(origin)
  })

  it('detects two peers shown different checkpoints of the same size', async () => {
    const wg = witness('witness/globex', globex)
    const wi = witness('witness/initech', initech)
    const shownToGlobex = await wg.cosign(await cp(honest, 8), [])
    const shownToInitech = await wi.cosign(await cp(forked, 8), [])
    expect(shownToGlobex.ok && shownToInitech.ok).to.equal(true)
    if (!shownToGlobex.ok || !shownToInitech.ok) return
    // Gossip: each witness is shown the other's cosigned checkpoint.
    const r = await wg.cosign(shownToInitech.value.cosigned, [])
    expect(r.ok ? '' : r.error.code).to.equal('EQUIVOCATION')
    const cmp = compareCheckpoints(shownToGlobex.value.checkpoint, shownToInitech.value.checkpoint, [])
    expect(cmp.ok ? '' : cmp.error.code).to.equal('EQUIVOCATION')
    const fork = compareCheckpoints(shownToGlobex.value.checkpoint, parsed(await cp(forked, 11)), consistencyProof(forked, 8, 11))
    expect(fork.ok ? '' : fork.error.code).to.equal('INCONSISTENT')
    const fine = compareCheckpoints(shownToGlobex.value.checkpoint, parsed(await cp(honest, 11)), consistencyProof(honest, 8, 11))
    expect(fine.ok).to.equal(true)
  })

  it('refuses unknown origins and bad signatures', async () => {
    const w = witness('witness/globex')
    const other = await signCheckpoint(mallory, { origin: originForDid(mallory.did), size: 1, root: rootHash(honest.slice(0, 1)) })
    const unknown = await w.cosign(other, [])
    expect(unknown.ok ? '' : unknown.error.code).to.equal('UNKNOWN_ORIGIN')
    const forged = await w.cosign(await cp(honest, 2, mallory), [])
    expect(forged.ok ? '' : forged.error.code).to.equal('BAD_CHECKPOINT_SIGNATURE')
    const garbage = await w.cosign('not a checkpoint', [])
    expect(garbage.ok ? '' : garbage.error.code).to.equal('MALFORMED_CHECKPOINT')
    expect(await w.latest(origin)).to.equal(undefined)
  })

  it('keeps its state and equivocations in LevelDB across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trustmesh-witness-'))
    try {
      let db = new Level<string, string>(join(dir, 'db'))
      await db.open()
      let w = witness('witness/globex', globex, new LevelWitnessStore(db.sublevel('witness')))
      await w.cosign(await cp(honest, 5), [])
      await w.cosign(await cp(forked, 5), [])
      await db.close()
      db = new Level<string, string>(join(dir, 'db'))
      await db.open()
      const store = new LevelWitnessStore(db.sublevel('witness'))
      w = witness('witness/globex', globex, store)
      const stale = await w.cosign(await cp(honest, 4), [])
      expect(stale.ok ? '' : stale.error.code).to.equal('STALE')
      expect((await store.equivocations()).map((e) => e.size)).to.deep.equal([5])
      expect((await w.cosign(await cp(honest, 9), consistencyProof(honest, 5, 9))).ok).to.equal(true)
      await db.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
