/**
 * The saga coordinator killed between any two of its writes: a coordinator that stops at the k-th save
 * of the saga record (the process died there: nothing after it happened, everything before it did) is
 * resumed from what was saved by a fresh coordinator, for every k. Counted at a fake executing side
 * that runs each invocation once (its replay guard) and answers task status like a node: every step
 * runs at most once, a step whose undo was refused never runs, and the saga always ends compensated.
 */
import { expect } from 'chai'
import { ok, fail, type Result } from '../../../../identity/result.js'
import { silentLogger } from '../../../../identity/logger.js'
import { MemoryRepository } from '../../../../node/store/memory-repository.js'
import { SagaStore } from '../../../../node/services/sagas/saga-store.js'
import { SagaCoordinator, type HopInput } from '../../../../node/services/sagas/saga-coordinator.js'
import { HopOutcomes } from '../../../../node/services/sagas/hop-outcome.js'
import type { PreparedTask } from '../../../../node/services/tasks/task-sender.js'
import type { TaskReply } from '../../../../protocols/task/messages.js'
import type { TaskStatusReply } from '../../../../protocols/task-status/index.js'
import type { SagaRecord } from '../../../../sagas/index.js'
import type { Components } from '../../../../node/components.js'

const ORG = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
const AGENT = 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG'

class Crash extends Error {}

/** The executing side: runs an invocation the first time it arrives, refuses it (REPLAYED) after. */
class Executor {
  readonly runs = new Map<string, number>()
  readonly outcomes = new Map<string, TaskReply>()
  readonly undoAsks = new Set<string>()

  /** Refs whose task the executing node gives up on (TASK_TIMEOUT, with its receipt) while the agent runs it. */
  readonly timesOut = new Set<string>()
  /** Refs whose reply is lost on the way back (the task ran): the sender sees PEER_UNREACHABLE, no receipt. */
  readonly lost = new Set<string>()

  execute (p: PreparedTask): TaskReply {
    if (this.outcomes.has(p.id)) return { outcome: 'denied', code: 'REPLAYED', reason: 'seen before', receipt: `receipt:${p.id}:replayed` }
    const args = (p.request as { args?: { ref?: string, fail?: boolean } }).args ?? {}
    const key = `${p.ability} ${String(args.ref)}`
    this.runs.set(key, (this.runs.get(key) ?? 0) + 1)
    const reply: TaskReply = this.timesOut.has(String(args.ref)) && p.ability === 'orders/create'
      ? { outcome: 'error', code: 'TASK_TIMEOUT', reason: 'the agent did not answer in time', receipt: `receipt:${p.id}` }
      : args.fail === true
      ? { outcome: 'error', code: 'EXAMPLE_FAILURE', reason: 'fails with args.fail', receipt: `receipt:${p.id}` }
      : { outcome: 'ok', code: 'OK', reason: 'done', output: { args }, receipt: `receipt:${p.id}` }
    this.outcomes.set(p.id, reply)
    return reply
  }

  status (taskId: string): TaskStatusReply {
    const r = this.outcomes.get(taskId)
    if (r == null) return { v: 1, found: false }
    return { v: 1, found: true, outcome: r.outcome, code: r.code, ...(r.output !== undefined ? { output: r.output } : {}), ...(r.receipt != null ? { receipt: r.receipt } : {}) }
  }
}

function sagaRecord (opts: { failAt3: boolean, undoArgs?: unknown }): SagaRecord {
  const steps = ['s1', 's2', 's3'].map((id, i) => ({
    id, to: AGENT, ability: 'orders/create', resource: `tm:${ORG}/orders`, timeoutSeconds: 15,
    args: { ref: id, ...(i === 2 && opts.failAt3 ? { fail: true } : {}) },
    compensate: { ability: 'orders/cancel', resource: `tm:${ORG}/orders`, args: opts.undoArgs ?? { ref: '${output.args.ref}' } }
  }))
  return {
    id: 'saga-1', invoker: AGENT, invokerName: 'alice', coordinator: AGENT, state: 'running', createdAt: 0, updatedAt: 0,
    deadline: 60_000, document: { deadlineSeconds: 60, stepTimeoutSeconds: 15, steps }, delegations: { s1: 'd1', s2: 'd2', s3: 'd3' },
    steps: steps.map((s, index) => ({ index, id: s.id, state: 'pending' as const })), timeline: []
  }
}

/** Runs the saga with a coordinator that dies at save number `crashAt` (none when 0); the repository survives. */
async function runUntilCrash (repo: MemoryRepository<SagaRecord>, exec: Executor, crashAt: number, refuseUndoOf?: string): Promise<{ saves: number, crashed: boolean }> {
  let now = 1_000
  let saves = 0
  let crashed = false
  const store = new SagaStore({
    name: repo.name,
    list: async (o?: Parameters<typeof repo.list>[0]) => await repo.list(o),
    put: async (k: string, v: SagaRecord, o?: { sync?: boolean }) => {
      saves++
      if (saves === crashAt) { crashed = true; throw new Crash(`killed at save ${saves}`) }
      await repo.put(k, v, o)
    }
  } as unknown as MemoryRepository<SagaRecord>)
  await store.load()
  const rec = store.get('saga-1') as SagaRecord
  const stopper = new AbortController()
  const c = {
    clock: { now: () => now },
    logger: silentLogger(),
    audit: { record: async () => ok(undefined), size: () => 0 },
    identity: { orgDid: ORG }
  } as unknown as Pick<Components, 'clock' | 'logger' | 'audit' | 'identity' | 'mesh'>
  const sleep = async (ms: number): Promise<boolean> => { now += Math.max(1, ms); return !crashed }
  const sender = {
    deliver: async (p: PreparedTask): Promise<TaskReply & { id: string, targetOrg: string }> => {
      if (crashed) throw new Crash('delivered after the crash')
      const r = exec.execute(p)
      const ref = String((p.request as { args?: { ref?: string } }).args?.ref)
      if (exec.lost.has(ref) && r.code !== 'REPLAYED') return { outcome: 'error', code: 'PEER_UNREACHABLE', reason: 'the reply was lost', id: p.id, targetOrg: p.targetOrg }
      return { ...r, id: p.id, targetOrg: p.targetOrg }
    }
  }
  let n = 0
  const coordinator = new SagaCoordinator({
    c,
    store,
    sender,
    prepare: async (input: HopInput): Promise<Result<PreparedTask>> => {
      const id = `inv-${crashAt}-${++n}`
      return ok({ id, targetOrg: ORG, invoker: AGENT, to: input.to, ability: input.ability, resource: input.resource, request: { invocation: id, args: input.args } as unknown as PreparedTask['request'] })
    },
    hops: new HopOutcomes({ c, sender, localStatus: async (taskId) => exec.status(taskId), sleep }),
    // the refusal is transient (its executing node was unreachable): asked again, the undo is granted
    requestUndo: async (_rec, step) => {
      if (step.id !== refuseUndoOf || exec.undoAsks.has(step.id)) return ok(`undo-${step.id}`)
      exec.undoAsks.add(step.id)
      return fail('PEER_UNREACHABLE', 'the executing node did not answer')
    },
    sleep,
    signal: stopper.signal,
    settings: { compensationGraceMs: 20_000, retryBaseMs: 100, retryMaxMs: 500 }
  })
  try {
    await coordinator.drive(rec)
  } catch (err) {
    if (!(err instanceof Crash)) throw err
  }
  return { saves, crashed }
}

async function killedAtEverySave (opts: { failAt3: boolean, refuseUndoOf?: string }, check: (final: SagaRecord, exec: Executor) => void): Promise<number> {
  // a run without a crash counts the saves a whole saga makes
  const base = new MemoryRepository<SagaRecord>('sagas')
  await base.put('saga-1', sagaRecord(opts))
  const whole = await runUntilCrash(base, new Executor(), 0, opts.refuseUndoOf)
  for (let k = 1; k <= whole.saves; k++) {
    const repo = new MemoryRepository<SagaRecord>('sagas')
    await repo.put('saga-1', sagaRecord(opts))
    const exec = new Executor()
    const first = await runUntilCrash(repo, exec, k, opts.refuseUndoOf)
    expect(first.crashed, `crash at save ${k}`).to.equal(true)
    await runUntilCrash(repo, exec, 0, opts.refuseUndoOf)
    const final = await repo.get('saga-1') as SagaRecord
    try {
      check(final, exec)
    } catch (err) {
      (err as Error).message = `killed at save ${k} of ${whole.saves}: ${(err as Error).message}`
      throw err
    }
  }
  return whole.saves
}

describe('saga coordinator killed at every save', () => {
  it('a failing third step: every step runs at most once and the first two are compensated', async () => {
    const saves = await killedAtEverySave({ failAt3: true }, (final, exec) => {
      expect(final.state).to.equal('compensated')
      for (const s of ['s1', 's2', 's3']) expect(exec.runs.get(`orders/create ${s}`) ?? 0, s).to.be.at.most(1)
      for (const s of ['s1', 's2']) expect(exec.runs.get(`orders/cancel ${s}`) ?? 0, `cancel ${s}`).to.equal(1)
      expect(final.steps.map(s => s.state)).to.deep.equal(['compensated', 'compensated', 'failed'])
    })
    expect(saves).to.be.greaterThan(8)
  })

  it('a refused undo (refused once, granted if asked again): once the refusal is written, that step never runs', async () => {
    const ends = new Set<string>()
    await killedAtEverySave({ failAt3: false, refuseUndoOf: 's3' }, (final, exec) => {
      for (const s of ['s1', 's2', 's3']) expect(exec.runs.get(`orders/create ${s}`) ?? 0, s).to.be.at.most(1)
      ends.add(final.state)
      // a coordinator killed before it wrote the refusal had decided nothing: asked again, it may go on
      if (!final.timeline.some(e => e.hop === 's3' && e.kind === 'undo-grant' && e.outcome === 'denied')) return
      expect(exec.runs.get('orders/create s3') ?? 0).to.equal(0)
      expect(final.state).to.equal('compensated')
      expect(final.steps.map(s => s.state)).to.deep.equal(['compensated', 'compensated', 'undo-refused'])
    })
    expect([...ends].sort()).to.deep.equal(['compensated', 'completed'])
  })

  it('a saga that completes: every step runs exactly once at any kill point', async () => {
    await killedAtEverySave({ failAt3: false }, (final, exec) => {
      expect(final.state).to.equal('completed')
      for (const s of ['s1', 's2', 's3']) expect(exec.runs.get(`orders/create ${s}`) ?? 0, s).to.equal(1)
    })
  })
})

describe('saga coordinator resuming a record an older version wrote', () => {
  it('a failed step in a saga still going forward turns it back and is never sent again', async () => {
    const repo = new MemoryRepository<SagaRecord>('sagas')
    const exec = new Executor()
    const rec = sagaRecord({ failAt3: false })
    const s1 = exec.execute({ id: 'old-1', targetOrg: ORG, invoker: AGENT, to: AGENT, ability: 'orders/create', resource: `tm:${ORG}/orders`, request: { args: { ref: 's1' } } as unknown as PreparedTask['request'] })
    rec.steps[0] = { ...rec.steps[0], state: 'done', undo: 'undo-s1', result: { outcome: 'ok', code: 'OK', output: s1.output } }
    rec.steps[1] = { ...rec.steps[1], state: 'failed', undo: 'undo-s2', result: { outcome: 'error', code: 'EXAMPLE_FAILURE', reason: 'failed' } }
    await repo.put('saga-1', rec)
    await runUntilCrash(repo, exec, 0)
    const final = await repo.get('saga-1') as SagaRecord
    expect(final.state).to.equal('compensated')
    expect(final.failure).to.include({ step: 's2', code: 'EXAMPLE_FAILURE' })
    expect(final.steps.map(s => s.state)).to.deep.equal(['compensated', 'failed', 'skipped'])
    expect([exec.runs.get('orders/create s2') ?? 0, exec.runs.get('orders/create s3') ?? 0, exec.runs.get('orders/cancel s1') ?? 0]).to.deep.equal([0, 0, 1])
  })
})

describe('saga coordinator: a step its executing node timed out', () => {
  it('may still have run, so it is compensated with the completed ones', async () => {
    const repo = new MemoryRepository<SagaRecord>('sagas')
    const exec = new Executor()
    exec.timesOut.add('s2')
    await repo.put('saga-1', sagaRecord({ failAt3: false, undoArgs: { all: true } }))
    await runUntilCrash(repo, exec, 0)
    const final = await repo.get('saga-1') as SagaRecord
    expect(final.state).to.equal('compensated')
    expect(final.failure).to.include({ step: 's2', code: 'TASK_TIMEOUT' })
    expect(final.steps.map(s => s.state)).to.deep.equal(['compensated', 'compensated', 'skipped'])
    expect(exec.runs.get('orders/cancel undefined')).to.equal(2)
  })

  it('whose undo needs its output (it has none) is stuck for an operator; the steps that completed are still compensated', async () => {
    const repo = new MemoryRepository<SagaRecord>('sagas')
    const exec = new Executor()
    exec.timesOut.add('s2')
    await repo.put('saga-1', sagaRecord({ failAt3: false }))
    await runUntilCrash(repo, exec, 0)
    const final = await repo.get('saga-1') as SagaRecord
    expect(final.state).to.equal('stuck')
    expect(final.steps.map(s => s.state)).to.deep.equal(['compensated', 'stuck', 'skipped'])
    expect([exec.runs.get('orders/cancel s1') ?? 0, exec.runs.get('orders/cancel s2') ?? 0]).to.deep.equal([1, 0])
    expect(final.timeline.at(-1)).to.include({ hop: 'saga', kind: 'state', outcome: 'stuck' })
    expect(final.timeline.at(-1)?.code).to.match(/^[A-Z][A-Z_]+$/)
  })

  it('killed at every save, with s2 timed out or its reply lost: every step and compensation runs at most once', async () => {
    for (const variant of ['timeout', 'lost'] as const) {
      const mk = (): Executor => { const e = new Executor(); if (variant === 'timeout') e.timesOut.add('s2'); else e.lost.add('s2'); return e }
      const base = new MemoryRepository<SagaRecord>('sagas')
      await base.put('saga-1', sagaRecord({ failAt3: true }))
      const whole = await runUntilCrash(base, mk(), 0)
      for (let k = 1; k <= whole.saves; k++) {
        const repo = new MemoryRepository<SagaRecord>('sagas')
        await repo.put('saga-1', sagaRecord({ failAt3: true }))
        const exec = mk()
        await runUntilCrash(repo, exec, k)
        await runUntilCrash(repo, exec, 0)
        const final = await repo.get('saga-1') as SagaRecord
        for (const [key, n] of exec.runs) expect(n, `${variant}, killed at save ${k}: ${key}`).to.be.at.most(1)
        expect(['compensated', 'stuck'], `${variant}, killed at save ${k}`).to.include(final.state)
        // s1 certainly completed: it is undone whatever became of s2
        expect(final.steps[0].state, `${variant}, killed at save ${k}`).to.equal('compensated')
      }
    }
  })
})
