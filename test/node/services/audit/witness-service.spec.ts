/**
 * Split view (issue 15 item 3): a log owner shows one witness a history of one size and gossip carries
 * another history of a different size. The witness asks the owner for a consistency proof and reports
 * INCONSISTENT without a valid one; gossiped checkpoints are compared again when its own view advances.
 */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { originForDid, signCheckpoint } from '../../../../audit/checkpoint.js'
import { consistencyProof, hashLeaf, rootHash } from '../../../../audit/merkle.js'
import type { Equivocation, WitnessLevel } from '../../../../audit/witness.js'
import { WitnessService } from '../../../../node/services/audit/witness-service.js'
import { silentLogger } from '../../../../identity/logger.js'
import { fakeClock } from '../../../helpers/clock.js'
import { globex, principal } from '../../../helpers/principals.js'

const owner = principal('acme-node')
const origin = originForDid(owner.did)
const honest = Array.from({ length: 12 }, (_, i) => hashLeaf(new TextEncoder().encode(`entry ${i}`)))
const other = [...honest.slice(0, 4), ...Array.from({ length: 8 }, (_, i) => hashLeaf(new TextEncoder().encode(`shown to B ${i}`)))]
const cp = async (leaves: Uint8Array[], size: number): Promise<string> => await signCheckpoint(owner, { origin, size, root: rootHash(leaves.slice(0, size)) })
const b64 = (proof: Uint8Array[]): string[] => proof.map(h => Buffer.from(h).toString('base64'))

describe('audit: the witness detects a split view across sizes', () => {
  let dir: string
  let db: Level<string, string>
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'tm-witness-')); db = new Level(dir) })
  afterEach(async () => { await db.close(); await rm(dir, { recursive: true, force: true }) })

  const make = (proofOf?: (from: number, to: number) => Uint8Array[] | undefined): { w: WitnessService, seen: Equivocation[], asked: Array<[number, number]> } => {
    const seen: Equivocation[] = []
    const asked: Array<[number, number]> = []
    const w = new WitnessService({
      level: db.sublevel('w') as unknown as WitnessLevel, signer: globex, did: globex.did, clock: fakeClock(), logger: silentLogger(),
      onEquivocation: (e) => seen.push(e),
      ...(proofOf != null ? { proofOf: async (did: string, from: number, to: number) => { expect(did).to.equal(owner.did); asked.push([from, to]); return proofOf(from, to) } } : {})
    })
    return { w, seen, asked }
  }

  it('a checkpoint of another size from a different history is INCONSISTENT (the owner\'s proof fails, or none comes)', async () => {
    // the owner can only prove the history it shows B; that proof does not hold for what A cosigned
    const { w, seen, asked } = make((from, to) => consistencyProof(other, from, to))
    expect((await w.handle({ v: 1, checkpoint: await cp(honest, 10), from: 0, proof: [] }, owner.did)).ok).to.equal(true)
    const r = await w.observe(await cp(other, 11))
    expect(r.ok ? r.value : r.error.code).to.equal('INCONSISTENT')
    expect(asked).to.deep.equal([[10, 11]])
    expect(seen.map(e => [e.code, e.sizes])).to.deep.equal([['INCONSISTENT', [10, 11]]])
    expect((await w.equivocations()).map(e => e.code)).to.deep.equal(['INCONSISTENT'])

    const silent = make(() => undefined)
    const r2 = await silent.w.observe(await cp(other, 9))
    expect(r2.ok ? r2.value : r2.error.code).to.equal('INCONSISTENT')
  })

  it('an unreachable owner is asked again; three unanswered requests are a split view', async () => {
    const seen: Equivocation[] = []
    let calls = 0
    const w = new WitnessService({
      level: db.sublevel('u') as unknown as WitnessLevel, signer: globex, did: globex.did, clock: fakeClock(), logger: silentLogger(),
      onEquivocation: (e) => seen.push(e),
      proofOf: async () => { calls++; throw new Error('not connected') }
    })
    expect((await w.handle({ v: 1, checkpoint: await cp(honest, 6), from: 0, proof: [] }, owner.did)).ok).to.equal(true)
    const text = await cp(honest, 9)
    for (const expected of ['unknown', 'unknown']) {
      const r = await w.observe(text)
      expect(r.ok ? r.value : r.error.code).to.equal(expected)
    }
    const third = await w.observe(text)
    expect(third.ok ? third.value : third.error.code).to.equal('INCONSISTENT')
    expect([calls, seen.length]).to.deep.equal([3, 1])
  })

  it('an honest larger or smaller checkpoint with a valid proof is consistent, nothing reported', async () => {
    const { w, seen } = make((from, to) => consistencyProof(honest, from, to))
    expect((await w.handle({ v: 1, checkpoint: await cp(honest, 6), from: 0, proof: [] }, owner.did)).ok).to.equal(true)
    for (const size of [9, 3]) {
      const r = await w.observe(await cp(honest, size))
      expect(r.ok ? r.value : r.error.code).to.equal('consistent')
    }
    expect(seen).to.deep.equal([])
  })

  it('gossiped checkpoints are compared again when the witness\'s own view advances', async () => {
    const { w, seen } = make()
    // seen before this witness has cosigned anything, and at a size it has not reached: kept
    const early = await cp(other, 9)
    expect((await w.observe(early)).ok).to.equal(true)
    expect((await w.handle({ v: 1, checkpoint: await cp(honest, 5), from: 0, proof: [] }, owner.did)).ok).to.equal(true)
    expect(seen).to.deep.equal([])
    // our view reaches size 9 through the owner's own proof: the kept checkpoint now conflicts
    const r = await w.handle({ v: 1, checkpoint: await cp(honest, 9), from: 5, proof: b64(consistencyProof(honest, 5, 9)) }, owner.did)
    expect(r.ok).to.equal(true)
    // the re-comparison runs in the background: poll with a deadline
    for (const deadline = Date.now() + 5_000; seen.length === 0 && Date.now() < deadline;) await new Promise(resolve => setTimeout(resolve, 10))
    expect(seen.map(e => [e.code, e.size])).to.deep.equal([['EQUIVOCATION', 9]])
  })
})
