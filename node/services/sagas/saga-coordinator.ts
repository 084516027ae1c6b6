/**
 * The coordinator: drives one saga forward step by step, and backward (compensations in reverse)
 * when a step fails, is denied, times out, its undo is refused, the deadline passes or the operator
 * cancels. Every decision is persisted (synced) and audited before it takes effect, so a coordinator
 * killed at any point resumes from its store: a step whose invocation was persisted has its outcome
 * asked for (HopOutcomes), never a new invocation. Compensations are fully checked tasks under the
 * undo grant the executing side gave, retried with backoff until they succeed or the compensation
 * deadline passes; then the saga is `stuck` and waits for an operator.
 */
import { backoffMs, isTerminal, renderArgs, stepsToCompensate, type HopOutcome, type SagaRecord, type StepRecord, type TimelineEvent } from '../../../sagas/index.js'
import type { Result } from '../../../identity/result.js'
import type { Components } from '../../components.js'
import type { TaskSender, PreparedTask } from '../tasks/task-sender.js'
import { finalOutcome, type HopOutcomes } from './hop-outcome.js'
import { SagaStore } from './saga-store.js'

export interface CoordinatorSettings {
  /** Compensations get at least this long after the saga turns back, whatever its deadline. */
  compensationGraceMs: number
  retryBaseMs: number
  retryMaxMs: number
}

/** One hop the coordinator invokes: a step, or a compensation under its undo grant. */
export interface HopInput {
  to: string
  ability: string
  resource: string
  args?: unknown
  /** CID of the delegation the coordinator holds for it. */
  proof?: string
  timeoutMs?: number
}

export interface CoordinatorDeps {
  c: Pick<Components, 'clock' | 'logger' | 'audit'>
  store: SagaStore
  sender: Pick<TaskSender, 'deliver'>
  /** An invocation signed with the node's own saga service key, through the outbound steps (not delivered). */
  prepare: (input: HopInput) => Promise<Result<PreparedTask>>
  hops: HopOutcomes
  /** Ask the executing side for the step's undo grant; the CID of the delegation it granted. */
  requestUndo: (rec: SagaRecord, step: StepRecord, signal: AbortSignal) => Promise<Result<string>>
  sleep: (ms: number) => Promise<boolean>
  signal: AbortSignal
  settings: CoordinatorSettings
}

export class SagaCoordinator {
  readonly #d: CoordinatorDeps
  constructor (d: CoordinatorDeps) {
    this.#d = d
  }

  #now (): number { return this.#d.c.clock.now() }

  /**
   * Audit each event (a failure to audit is returned), add them to the timeline, then one synced
   * write. Events that belong together (a step's failure and the saga turning back) are recorded in
   * one write: a coordinator killed between them would otherwise resume with a failed step in a saga
   * still going forward, and send that step again.
   */
  async #record (rec: SagaRecord, ...events: Array<Omit<TimelineEvent, 'at'>>): Promise<boolean> {
    let audited = true
    for (const e of events) {
      const a = await this.#d.c.audit.record({
        kind: 'saga', subject: e.hop === 'saga' ? rec.id : `${rec.id}/${e.hop}`, reason: e.code,
        details: { saga: rec.id, hop: e.hop, event: e.kind, outcome: e.outcome, ...(e.reason != null ? { message: e.reason } : {}), ...(e.taskId != null ? { task: e.taskId } : {}) }
      })
      if (!a.ok) audited = false
      SagaStore.event(rec, { at: this.#now(), ...e })
    }
    await this.#d.store.save(rec, this.#now())
    return audited
  }

  /** Runs the saga until it is completed, compensated or stuck (or the node stops). */
  async drive (rec: SagaRecord): Promise<void> {
    while (!isTerminal(rec.state) && !this.#d.signal.aborted) {
      if (rec.state === 'running') await this.#forward(rec)
      else await this.#backward(rec)
    }
  }

  /** The saga turns back (in memory): the event to record, with whatever caused it, in one write. */
  #turningBack (rec: SagaRecord, step: string, code: string, reason: string): Omit<TimelineEvent, 'at'> {
    rec.failure = { step, code, reason }
    rec.state = 'compensating'
    rec.compensateUntil = Math.max(rec.deadline, this.#now() + this.#d.settings.compensationGraceMs)
    for (const s of rec.steps) if (s.state === 'pending' || (s.state === 'undo-requested' && s.task == null)) s.state = 'skipped'
    return { hop: 'saga', kind: 'state', outcome: 'compensating', code, reason: `step ${step}: ${reason}` }
  }

  async #turnBack (rec: SagaRecord, step: string, code: string, reason: string): Promise<void> {
    await this.#record(rec, this.#turningBack(rec, step, code, reason))
  }

  /** A step's outcome; a failed step turns the saga back in the same write. */
  async #settle (rec: SagaRecord, step: StepRecord, o: HopOutcome): Promise<boolean> {
    step.result = o
    step.state = o.outcome === 'ok' ? 'done' : 'failed'
    const ev: Omit<TimelineEvent, 'at'> = { hop: step.id, kind: 'step', outcome: o.outcome, code: o.code, ...(o.reason != null ? { reason: o.reason } : {}), ...(step.task != null ? { taskId: step.task.taskId } : {}) }
    if (step.state === 'done') await this.#record(rec, ev)
    else await this.#record(rec, ev, this.#turningBack(rec, step.id, o.code, o.reason ?? o.code))
    return step.state === 'done'
  }

  async #forward (rec: SagaRecord): Promise<void> {
    const doc = rec.document
    for (const step of rec.steps) {
      if (step.state === 'done') continue
      const spec = doc.steps[step.index]
      if (step.state === 'sending') {
        // resumed with the invocation persisted: its outcome is asked for, never invented
        const o = await this.#d.hops.resolve(step.task!, rec.deadline, this.#d.signal)
        if (this.#d.signal.aborted) return
        if (o == null) { await this.#turnBack(rec, step.id, 'OUTCOME_UNKNOWN', 'the step\'s outcome could not be learned before the deadline'); return }
        if (!await this.#settle(rec, step, o)) return
        continue
      }
      if (step.state !== 'pending' && step.state !== 'undo-requested') {
        // a step that ended (failed, refused) in a saga still going forward: a record written before
        // its failure and the turn back were one write; it is never sent again
        await this.#turnBack(rec, step.id, step.result?.code ?? 'STEP_FAILED', step.result?.reason ?? `step ${step.id} is ${step.state}`)
        return
      }
      if (rec.cancelRequested === true) { await this.#turnBack(rec, step.id, 'CANCELLED', 'cancelled by the operator'); return }
      if (this.#now() >= rec.deadline) { await this.#turnBack(rec, step.id, 'SAGA_DEADLINE', 'the saga\'s deadline passed before this step'); return }
      if (step.undo == null) {
        step.state = 'undo-requested'
        await this.#d.store.save(rec, this.#now())
        const g = await this.#d.requestUndo(rec, step, this.#d.signal)
        if (this.#d.signal.aborted) return
        if (!g.ok) {
          step.state = 'undo-refused'
          step.result = { outcome: 'denied', code: g.error.code, reason: g.error.message }
          await this.#record(rec, { hop: step.id, kind: 'undo-grant', outcome: 'denied', code: g.error.code, reason: g.error.message },
            this.#turningBack(rec, step.id, g.error.code, `undo not granted, the step never started: ${g.error.message}`))
          return
        }
        step.undo = g.value
        await this.#record(rec, { hop: step.id, kind: 'undo-grant', outcome: 'ok', code: 'UNDO_GRANTED', reason: `${spec.compensate.ability} on ${spec.compensate.resource} (${g.value})` })
      }
      const prepared = await this.#d.prepare({ to: spec.to, ability: spec.ability, resource: spec.resource, args: spec.args, proof: rec.delegations[step.id], timeoutMs: spec.timeoutSeconds * 1000 })
      if (!prepared.ok) {
        if (!await this.#settle(rec, step, { outcome: 'denied', code: prepared.error.code, reason: prepared.error.message })) return
        continue
      }
      step.task = { id: `${rec.id}/${step.id}`, taskId: prepared.value.id, targetOrg: prepared.value.targetOrg, request: prepared.value, timeoutMs: spec.timeoutSeconds * 1000, sentAt: this.#now() }
      step.state = 'sending'
      // persisted (and audited) before it is sent: after a crash this invocation, and no other, is the step
      if (!await this.#record(rec, { hop: step.id, kind: 'step', outcome: 'sent', code: 'SENT', taskId: prepared.value.id, reason: `${spec.ability} on ${spec.resource} to ${spec.to}` })) {
        await this.#settle(rec, step, { outcome: 'denied', code: 'AUDIT_UNAVAILABLE', reason: 'the audit log cannot be written; the step was not sent' })
        return
      }
      const reply = await this.#d.sender.deliver(prepared.value, { signal: this.#d.signal })
      if (this.#d.signal.aborted) return
      const o = finalOutcome(reply)
      if (o == null) {
        // no answer we can trust: the step timed out (or the reply was lost); its real outcome is settled on the way back
        await this.#record(rec, { hop: step.id, kind: 'step', outcome: 'unknown', code: reply.code, ...(reply.reason != null ? { reason: reply.reason } : {}), taskId: prepared.value.id },
          this.#turningBack(rec, step.id, reply.code === 'TASK_TIMEOUT' ? 'STEP_TIMEOUT' : reply.code, reply.reason ?? reply.code))
        return
      }
      if (!await this.#settle(rec, step, o)) return
    }
    rec.state = 'completed'
    await this.#record(rec, { hop: 'saga', kind: 'state', outcome: 'completed', code: 'OK' })
  }

  async #stuck (rec: SagaRecord, step: StepRecord, code: string, reason: string): Promise<void> {
    step.state = 'stuck'
    rec.state = 'stuck'
    this.#d.c.logger.warn('saga stuck: an operator must finish it', { saga: rec.id, step: step.id, code, reason })
    await this.#record(rec, { hop: 'saga', kind: 'state', outcome: 'stuck', code, reason: `step ${step.id}: ${reason}` })
  }

  async #backward (rec: SagaRecord): Promise<void> {
    const until = rec.compensateUntil ?? rec.deadline
    // steps whose outcome is not known yet are settled first: one that ran must be undone too
    for (const step of rec.steps) {
      if (step.state !== 'sending') continue
      const o = await this.#d.hops.resolve(step.task!, until, this.#d.signal)
      if (this.#d.signal.aborted) return
      if (o == null) { await this.#stuck(rec, step, 'OUTCOME_UNKNOWN', 'the step\'s outcome could not be learned before the compensation deadline'); return }
      step.result = o
      step.state = o.outcome === 'ok' ? 'done' : 'failed'
      await this.#record(rec, { hop: step.id, kind: 'step', outcome: o.outcome, code: o.code, ...(o.reason != null ? { reason: o.reason } : {}), taskId: step.task!.taskId })
    }
    for (const step of stepsToCompensate(rec)) {
      if (!await this.#compensate(rec, step, until)) return
    }
    // a step whose undo could not even be built waits for an operator; the others were still undone
    const left = rec.steps.filter(s => s.state === 'stuck')
    if (left.length > 0) {
      rec.state = 'stuck'
      this.#d.c.logger.warn('saga stuck: an operator must finish it', { saga: rec.id, steps: left.map(s => s.id) })
      await this.#record(rec, { hop: 'saga', kind: 'state', outcome: 'stuck', code: rec.timeline.findLast(e => e.hop === left[0].id && e.kind === 'compensation')?.code ?? 'UNDO_UNBUILDABLE', reason: `step(s) ${left.map(s => s.id).join(', ')}: the undo could not be built; the other steps were compensated` })
      return
    }
    rec.state = 'compensated'
    await this.#record(rec, { hop: 'saga', kind: 'state', outcome: 'compensated', code: rec.failure?.code ?? 'COMPENSATED', ...(rec.failure != null ? { reason: `step ${rec.failure.step}: ${rec.failure.reason}` } : {}) })
  }

  /**
   * One step's compensation, retried with backoff (so a compensation must be idempotent: after a
   * failure or a timeout it is sent again). False when the saga is stuck (or the node stops); a step
   * whose undo args cannot be built is marked stuck and the others are still compensated.
   */
  async #compensate (rec: SagaRecord, step: StepRecord, until: number): Promise<boolean> {
    const spec = rec.document.steps[step.index].compensate
    const comp = step.compensation ??= { attempts: 0 }
    for (;;) {
      if (this.#d.signal.aborted) return false
      if (comp.task != null && comp.result == null) {
        const o = await this.#d.hops.resolve(comp.task, until, this.#d.signal)
        if (this.#d.signal.aborted) return false
        if (o == null) { await this.#stuck(rec, step, 'OUTCOME_UNKNOWN', 'the compensation\'s outcome could not be learned before the deadline'); return false }
        comp.result = o
        await this.#record(rec, { hop: step.id, kind: 'compensation', outcome: o.outcome, code: o.code, ...(o.reason != null ? { reason: o.reason } : {}), taskId: comp.task.taskId })
      }
      if (comp.result?.outcome === 'ok') {
        step.state = 'compensated'
        await this.#d.store.save(rec, this.#now())
        return true
      }
      if (comp.result != null) {
        delete comp.task
        delete comp.result
        comp.nextAt = this.#now() + backoffMs(comp.attempts, this.#d.settings.retryBaseMs, this.#d.settings.retryMaxMs)
        await this.#d.store.save(rec, this.#now())
      }
      if (this.#now() >= until) { await this.#stuck(rec, step, 'COMPENSATION_DEADLINE', `compensation failed ${comp.attempts} time(s) until the deadline`); return false }
      if (comp.nextAt != null && comp.nextAt > this.#now()) {
        if (!await this.#d.sleep(Math.min(comp.nextAt, until) - this.#now())) return false
        continue
      }
      const args = renderArgs(spec.args, step.result?.output)
      if (!args.ok) {
        step.state = 'stuck'
        await this.#record(rec, { hop: step.id, kind: 'compensation', outcome: 'stuck', code: args.error.code, reason: `the undo cannot be built: ${args.error.message}` })
        return true
      }
      comp.attempts++
      const prepared = await this.#d.prepare({ to: rec.document.steps[step.index].to, ability: spec.ability, resource: spec.resource, args: args.value, ...(step.undo != null ? { proof: step.undo } : {}), timeoutMs: rec.document.steps[step.index].timeoutSeconds * 1000 })
      if (!prepared.ok) {
        comp.result = { outcome: 'denied', code: prepared.error.code, reason: prepared.error.message }
        await this.#record(rec, { hop: step.id, kind: 'compensation', outcome: 'denied', code: prepared.error.code, reason: prepared.error.message })
        continue
      }
      comp.task = { id: `${rec.id}/${step.id}/undo/${comp.attempts}`, taskId: prepared.value.id, targetOrg: prepared.value.targetOrg, request: prepared.value, timeoutMs: rec.document.steps[step.index].timeoutSeconds * 1000, sentAt: this.#now() }
      step.state = 'compensating'
      if (!await this.#record(rec, { hop: step.id, kind: 'compensation', outcome: 'sent', code: 'SENT', taskId: prepared.value.id, reason: `${spec.ability} on ${spec.resource} (attempt ${comp.attempts})` })) {
        comp.result = { outcome: 'denied', code: 'AUDIT_UNAVAILABLE', reason: 'the audit log cannot be written; the compensation was not sent' }
        continue
      }
      const reply = await this.#d.sender.deliver(prepared.value as PreparedTask, { signal: this.#d.signal })
      if (this.#d.signal.aborted) return false
      const o = finalOutcome(reply)
      if (o == null) continue // asked for at the top of the loop
      comp.result = o
      await this.#record(rec, { hop: step.id, kind: 'compensation', outcome: o.outcome, code: o.code, ...(o.reason != null ? { reason: o.reason } : {}), taskId: comp.task.taskId })
    }
  }
}
