/**
 * The audit service and witness service together, without a network: decisions appended and
 * checkpointed, cosignatures kept only when valid, tampering caught at open, and a node that shows
 * two witnesses two histories caught when the witnesses compare what they cosigned.
 */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { AuditService, type TextLevel } from '../../../../node/services/audit/audit-service.js'
import { WitnessService } from '../../../../node/services/audit/witness-service.js'
import { AuditUnavailableError, originForDid, parseCheckpoint, verifyCosignatures, type AuditStore, type Equivocation, type WitnessLevel } from '../../../../audit/index.js'
import { silentLogger } from '../../../../identity/logger.js'
import type { DecisionEvent } from '../../../../node/components.js'
import { acme, globex, initech, mallory } from '../../../helpers/principals.js'
import { fakeClock } from '../../../helpers/clock.js'

type Db = Level<string, string>

async function service (db: Db, prefix: string, signer = acme): Promise<AuditService> {
  return await AuditService.open({
    entries: db.sublevel(`${prefix}-e`) as unknown as AuditStore,
    checkpoints: db.sublevel(`${prefix}-c`) as unknown as TextLevel,
    cosigners: db.sublevel(`${prefix}-w`) as unknown as TextLevel,
    did: signer.did,
    signer,
    clock: fakeClock(),
    logger: silentLogger()
  })
}

function witness (db: Db, prefix: string, signer: typeof globex, seen: Equivocation[] = []): WitnessService {
  return new WitnessService({ level: db.sublevel(prefix) as unknown as WitnessLevel, signer, did: signer.did, clock: fakeClock(), logger: silentLogger(), onEquivocation: (e) => seen.push(e) })
}

const deny = (subject: string, reason = 'RING_TOO_LOW'): DecisionEvent => ({ kind: 'task.deny', subject, reason, details: { ability: 'records/read', why: undefined } })

async function cosignVia (w: WitnessService, s: AuditService, from = 0): Promise<string> {
  const checkpoint = await s.checkpoint()
  const size = parseCheckpoint(checkpoint)
  if (!size.ok) throw new Error(size.error.message)
  const proof = from > 0 && from < size.value.size ? await s.log.consistencyProof(from, size.value.size) : []
  const reply = await w.handle({ v: 1, checkpoint, from, proof: proof.map(h => Buffer.from(h).toString('base64')) }, acme.did)
  if (!reply.ok || reply.cosigned == null) throw new Error(`${reply.code ?? ''}: ${reply.message ?? ''}`)
  return reply.cosigned
}

describe('audit-service', () => {
  let dir: string
  let db: Db
  beforeEach(async () => {
    dir = await mkdtemp('/tmp/tm-as-')
    db = new Level<string, string>(join(dir, 'db'))
    await db.open()
  })
  afterEach(async () => {
    await db.close().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  })

  it('appends decisions (a delegation under its own kind, undefined details dropped) and verifies them against a signed checkpoint', async () => {
    const s = await service(db, 'a')
    await s.append(deny('bafy-task-1'))
    const e = await s.append({ kind: 'delegation', subject: 'bafy-deleg', details: { to: bob() } })
    expect(e.kind).to.equal('delegation')
    expect(e.details.to).to.equal(bob())
    const cp = parseCheckpoint(await s.checkpoint())
    expect(cp.ok && cp.value.size).to.equal(2)
    const r = await s.verify()
    expect(r.ok, r.message).to.equal(true)
    expect(r.checkpointSize).to.equal(2)
    const p = await s.proof(0)
    expect(p.ok && p.value.entry.subject).to.equal('bafy-task-1')
    expect(await s.findSubject('bafy-deleg')).to.equal(1)
  })

  it('a checkpoint signed while appends commit commits to one size and its root, so the log still verifies when reopened', async () => {
    // the checkpoint waits on its store read while a group of appends becomes durable in between
    const checkpoints = db.sublevel('r-c') as unknown as TextLevel
    let gate: Promise<void> | undefined
    const slowCheckpoints: TextLevel = {
      get status () { return checkpoints.status },
      get: async (key, options) => { const v = await checkpoints.get(key, options); if (gate != null) await gate; return v },
      batch: async (ops, options) => { await checkpoints.batch(ops, options) },
      iterator: (options) => checkpoints.iterator(options)
    }
    const open = async (): Promise<AuditService> => await AuditService.open({
      entries: db.sublevel('r-e') as unknown as AuditStore, checkpoints: slowCheckpoints, cosigners: db.sublevel('r-w') as unknown as TextLevel,
      did: acme.did, signer: acme, clock: fakeClock(), logger: silentLogger()
    })
    const s = await open()
    await s.append(deny('before'))
    let release: () => void = () => {}
    gate = new Promise<void>(resolve => { release = resolve })
    const signing = s.checkpoint()
    await Promise.all([s.append(deny('during-1')), s.append(deny('during-2'))])
    gate = undefined
    release()
    const cp = parseCheckpoint(await signing)
    if (!cp.ok) throw new Error(cp.error.message)
    expect(Buffer.from(cp.value.root).toString('hex')).to.equal(Buffer.from(await s.log.rootAt(cp.value.size)).toString('hex'))
    const reopened = await open()
    expect(reopened.broken()).to.equal(undefined)
    expect((await reopened.verify()).ok).to.equal(true)
  })

  it('an entry edited in the store or a cut tail fails verification, and the reopened log refuses appends', async () => {
    const s = await service(db, 'a')
    for (let i = 0; i < 5; i++) await s.append(deny(`task-${i}`))
    await s.checkpoint()
    const entries = db.sublevel('a-e')
    const key = 'e:0000000000002'
    const original = await entries.get(key) as string
    await entries.put(key, original.replace('task-2', 'task-X'))
    const edited = await s.verify()
    expect(edited.ok).to.equal(false)
    expect(edited.code).to.equal('ROOT_MISMATCH')
    const reopened = await service(db, 'a')
    expect(reopened.broken()?.code).to.equal('ROOT_MISMATCH')
    await expectUnavailable(reopened.append(deny('task-5')))
    await expectUnavailable(reopened.checkpoint())

    await entries.put(key, original)
    await entries.del('e:0000000000004')
    const cut = await (await service(db, 'a')).verify()
    expect(cut.ok).to.equal(false)
    expect(cut.code).to.equal('TRUNCATED')
  })

  it('keeps a witness cosignature only when it verifies and is over its own checkpoint', async () => {
    const s = await service(db, 'a')
    await s.append(deny('t1'))
    const w = witness(db, 'wg', globex)
    const cosigned = await cosignVia(w, s)
    const kept = await s.addCosignature({ did: globex.did, name: originForDid(globex.did) }, cosigned)
    expect(kept.ok).to.equal(true)
    const latest = await s.latest() as string
    expect(verifyCosignatures(latest, [{ name: originForDid(globex.did), publicKeyOrDid: globex.did }]).ok).to.equal(true)
    expect((await s.verify({ minCosignatures: 1 })).cosigners).to.deep.equal([originForDid(globex.did)])
    // a line claimed by initech but made by mallory is refused
    const forged = await s.addCosignature({ did: initech.did, name: originForDid(initech.did) }, latest.replace(originForDid(globex.did), originForDid(initech.did)))
    expect(forged.ok).to.equal(false)
    expect((await s.verify({ minCosignatures: 2 })).ok).to.equal(false)
    void mallory
  })

  it('a witness asks for a proof from the size it last cosigned, then cosigns the consistent extension', async () => {
    const s = await service(db, 'a')
    const w = witness(db, 'wg', globex)
    await s.append(deny('t1'))
    await s.append(deny('t2'))
    await cosignVia(w, s)
    for (let i = 3; i < 8; i++) await s.append(deny(`t${i}`))
    const checkpoint = await s.checkpoint()
    const wrong = await w.handle({ v: 1, checkpoint, from: 0, proof: [] }, acme.did)
    expect(wrong.ok).to.equal(false)
    expect(wrong.code).to.equal('WRONG_FROM')
    expect(wrong.size).to.equal(2)
    const cosigned = await cosignVia(w, s, 2)
    expect(parseCheckpoint(cosigned).ok && parseCheckpoint(cosigned)).to.have.nested.property('value.size', 7)
  })

  it('a node that shows two witnesses two different histories is caught when they compare checkpoints', async () => {
    // the same node key signs two logs of the same size with different entries
    const honest = await service(db, 'h')
    const forked = await service(db, 'f')
    for (const sv of [honest, forked]) await sv.append(deny('t0'))
    await honest.append(deny('t1', 'POLICY_DENY'))
    await forked.append(deny('t1', 'ALLOWED_AFTER_ALL'))
    const seenG: Equivocation[] = []
    const seenI: Equivocation[] = []
    const wg = witness(db, 'wg', globex, seenG)
    const wi = witness(db, 'wi', initech, seenI)
    const toGlobex = await cosignVia(wg, honest)
    const toInitech = await cosignVia(wi, forked)
    // each witness alone saw a consistent log; gossip brings each the other's cosigned checkpoint
    const g = await wg.observe(toInitech)
    expect(g.ok).to.equal(false)
    expect(g.ok ? '' : g.error.code).to.equal('EQUIVOCATION')
    expect(g.equivocation?.evidence).to.deep.equal([toGlobex, toInitech])
    expect(seenG).to.have.length(1)
    const i = await wi.observe(toGlobex)
    expect(i.ok).to.equal(false)
    expect(seenI).to.have.length(1)
    expect(await wg.equivocations()).to.have.length(1)
    // seen again: reported once
    await wg.observe(toInitech)
    expect(await wg.equivocations()).to.have.length(1)
    // and the forked checkpoint is never cosigned by the witness that saw the honest one
    const direct = await wg.handle({ v: 1, checkpoint: await forked.checkpoint(), from: 2, proof: [] }, acme.did)
    expect(direct.ok).to.equal(false)
    expect(direct.code).to.equal('EQUIVOCATION')
  })

  it('a node may only ask for cosignatures of its own log', async () => {
    const s = await service(db, 'a')
    await s.append(deny('t1'))
    const w = witness(db, 'wg', globex)
    const r = await w.handle({ v: 1, checkpoint: await s.checkpoint(), from: 0, proof: [] }, mallory.did)
    expect(r.ok).to.equal(false)
    expect(r.code).to.equal('ORIGIN_MISMATCH')
  })
})

function bob (): string {
  return 'did:key:z6MkbobXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'
}

async function expectUnavailable (p: Promise<unknown>): Promise<void> {
  try {
    await p
  } catch (err) {
    expect(err).to.be.instanceOf(AuditUnavailableError)
    return
  }
  expect.fail('expected AuditUnavailableError')
}
