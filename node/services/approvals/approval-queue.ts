/**
 * Tasks parked for human approval, durably (`approvals` sublevel, synced writes), so they survive a
 * restart. An approval is a signed JWT (policy/approval.ts) by an approver key enrolled for the org,
 * verified before use and usable once (its `jti` is recorded in `approval-uses` before the task runs).
 * A task not decided by its deadline is denied by a timer, and again by the check at decision time;
 * every path that runs a parked task (a decision, the run after it, the resume after a restart)
 * refuses at or after the deadline, compared in milliseconds.
 * The final outcome (with the executing node's receipt) is kept so the requester can ask for it.
 */
import { randomBytes } from 'node:crypto'
import type { Repository } from '../../store/repository.js'
import type { Clock } from '../../../identity/clock.js'
import type { Logger } from '../../../identity/logger.js'
import type { DecisionEvent, ParkedTask } from '../../components.js'
import type { TaskReply } from '../../../protocols/task/messages.js'
import { ApprovalCode, decidePending, verifyApproval } from '../../../authz/index.js'

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired'

export interface ParkedRecord {
  id: string
  task: ParkedTask
  state: ApprovalState
  parkedAt: number
  deadline: number
  decidedAt?: number
  decidedBy?: string
  approval?: string
  /** Every approval given so far (a rule may require several, from distinct approvers). */
  approvals?: GivenApproval[]
  /** The final reply once decided (approved and run, denied, or expired). */
  result?: TaskReply
}

/** One approver's signed decision on a parked task, with their justification. */
export interface GivenApproval {
  approver: string
  name?: string
  role?: string
  decision: 'approve' | 'deny'
  reason?: string
  at: number
  jti: string
  token: string
}

/** What the queue knows of an approver (node/services/approvals/approver-book.ts). */
export interface ApproverInfo { name: string, role?: string }

export class ApprovalError extends Error {
  override readonly name = 'ApprovalError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

export interface ApprovalQueueDeps {
  repo: Repository<ParkedRecord>
  uses: Repository<number>
  clock: Clock
  logger: Logger
  /** DIDs of the approver keys enrolled for this org. */
  approvers: () => readonly string[]
  /** The named approver behind a DID. */
  approver: (did: string) => ApproverInfo | undefined
  /** Audit; a throw refuses the decision. */
  audit: (event: DecisionEvent) => Promise<void>
  /** Run an approved task (the executor, checking everything again). */
  run: (record: ParkedRecord, approvalId: string) => Promise<TaskReply>
  /** A refusal reply with a receipt signed by this node. */
  refuse: (record: ParkedRecord, code: string, reason: string) => Promise<TaskReply>
  /** Time a parked task waits for a decision. */
  deadlineMs: number
}

export class ApprovalQueue {
  readonly #d: ApprovalQueueDeps
  readonly #records = new Map<string, ParkedRecord>()
  readonly #busy = new Set<string>()
  #timer: ReturnType<typeof setInterval> | undefined

  constructor (deps: ApprovalQueueDeps) {
    this.#d = deps
  }

  async load (): Promise<void> {
    for (const [id, rec] of await this.#d.repo.list()) this.#records.set(id, rec)
  }

  /**
   * Check deadlines every `everyMs` (real time; "now" comes from the injected clock), and settle tasks
   * a restart interrupted between approval and run (on the timer, so every other service has started).
   */
  start (everyMs = 1000): void {
    if (this.#timer != null) return
    const tick = async (): Promise<void> => {
      await this.expireDue()
      await this.resumeInterrupted()
    }
    this.#timer = setInterval(() => { void tick().catch(err => { this.#d.logger.error('approval expiry failed', { error: (err as Error).message }) }) }, everyMs)
    this.#timer.unref?.()
  }

  stop (): void {
    if (this.#timer != null) clearInterval(this.#timer)
    this.#timer = undefined
  }

  async #save (rec: ParkedRecord): Promise<void> {
    await this.#d.repo.put(rec.id, rec, { sync: true })
    this.#records.set(rec.id, rec)
  }

  /** Park a task; parking the same task again returns the same approval id. */
  async park (task: ParkedTask): Promise<string> {
    for (const r of this.#records.values()) if (r.task.taskId === task.taskId) return r.id
    const now = this.#d.clock.now()
    const rec: ParkedRecord = { id: `ap-${randomBytes(8).toString('hex')}`, task, state: 'pending', parkedAt: now, deadline: now + this.#d.deadlineMs }
    await this.#save(rec)
    this.#d.logger.info('task parked for approval', { approval: rec.id, task: task.taskId, ability: task.ability, deadline: new Date(rec.deadline).toISOString() })
    return rec.id
  }

  get (id: string): ParkedRecord | undefined {
    return this.#records.get(id)
  }

  byTask (taskId: string): ParkedRecord | undefined {
    for (const r of this.#records.values()) if (r.task.taskId === taskId) return r
    return undefined
  }

  list (state?: ApprovalState): ParkedRecord[] {
    return [...this.#records.values()].filter(r => state == null || r.state === state).sort((a, b) => a.parkedAt - b.parkedAt)
  }

  /** Deny every pending task past its deadline. */
  async expireDue (): Promise<number> {
    const now = this.#d.clock.now()
    let n = 0
    for (const r of this.list('pending')) {
      if (now < r.deadline || this.#busy.has(r.id)) continue
      this.#busy.add(r.id)
      try {
        const reason = `no decision on task ${r.task.taskId} by its deadline ${new Date(r.deadline).toISOString()}`
        await this.#d.audit({ kind: 'approval', subject: r.id, reason: ApprovalCode.APPROVAL_TIMEOUT, details: { task: r.task.taskId, decision: 'expired' } })
        const result = await this.#d.refuse(r, ApprovalCode.APPROVAL_TIMEOUT, reason)
        await this.#save({ ...r, state: 'expired', decidedAt: now, result })
        this.#d.logger.info('approval expired: task denied', { approval: r.id, task: r.task.taskId })
        n++
      } finally {
        this.#busy.delete(r.id)
      }
    }
    return n
  }

  /**
   * Decide a parked task with a signed approval JWT. Verifies the approval (enrolled approver, this
   * task, time), refuses a used one, a second one by the same approver and one from an approver
   * without the role the rule requires, enforces the deadline, records the use, audits with the
   * justification, then denies (any deny), waits for more approvals, or runs once enough approved.
   */
  async decide (id: string, jwt: string): Promise<ParkedRecord> {
    const rec = this.#records.get(id)
    if (rec == null) throw new ApprovalError('UNKNOWN_APPROVAL', `no parked task ${id}`)
    if (rec.state !== 'pending') throw new ApprovalError('APPROVAL_ALREADY_DECIDED', `task ${rec.task.taskId} was already decided (${rec.state})`)
    if (this.#busy.has(id)) throw new ApprovalError('APPROVAL_IN_PROGRESS', `task ${rec.task.taskId} is being decided`)
    const v = verifyApproval(jwt, { taskId: rec.task.taskId, approvers: this.#d.approvers(), clock: this.#d.clock })
    if (!v.ok) throw new ApprovalError(v.error.code, v.error.message)
    const who = this.#d.approver(v.value.iss)
    const need = rec.task.approvals ?? { count: 1 }
    if (need.role != null && who?.role !== need.role) throw new ApprovalError('APPROVER_WRONG_ROLE', `${who?.name ?? v.value.iss} is not a ${need.role} (rule ${need.rule ?? '?'} requires one)`)
    const given = rec.approvals ?? []
    this.#busy.add(id)
    try {
      const used = await this.#d.uses.has(v.value.jti)
      const now = this.#d.clock.now()
      const outcome = decidePending({ taskId: rec.task.taskId, deadline: rec.deadline }, v.value, now, () => used)
      if (outcome.code === ApprovalCode.APPROVAL_REUSED) throw new ApprovalError(outcome.code, outcome.reason)
      if (given.some(g => g.approver === v.value.iss)) throw new ApprovalError('APPROVER_ALREADY_DECIDED', `${who?.name ?? v.value.iss} already decided task ${rec.task.taskId}; another approver must`)
      // the approval is spent before anything runs: it can never decide a second task
      await this.#d.uses.put(v.value.jti, now, { sync: true })
      const mine: GivenApproval = {
        approver: v.value.iss, ...(who != null ? { name: who.name, ...(who.role != null ? { role: who.role } : {}) } : {}),
        decision: v.value.decision, ...(v.value.reason != null ? { reason: v.value.reason } : {}), at: now, jti: v.value.jti, token: jwt
      }
      const approvals = [...given, mine]
      const enough = outcome.effect === 'allow' && approvals.filter(g => g.decision === 'approve').length >= need.count
      await this.#d.audit({
        kind: 'approval',
        subject: id,
        reason: outcome.effect === 'allow' && !enough ? 'APPROVAL_PARTIAL' : outcome.code,
        details: definedOnly({ task: rec.task.taskId, approver: v.value.iss, name: who?.name, role: who?.role, decision: v.value.decision, justification: v.value.reason, jti: v.value.jti, effect: outcome.effect, approvals: approvals.length, required: need.count })
      })
      if (outcome.effect !== 'allow') {
        const state: ApprovalState = outcome.code === ApprovalCode.APPROVAL_TIMEOUT ? 'expired' : 'denied'
        const result = await this.#d.refuse(rec, outcome.code, outcome.reason + (v.value.reason != null ? `: ${v.value.reason}` : ''))
        const done: ParkedRecord = { ...rec, state, decidedAt: now, decidedBy: v.value.iss, approval: jwt, approvals, result }
        await this.#save(done)
        return done
      }
      if (!enough) {
        const waiting: ParkedRecord = { ...rec, approvals }
        await this.#save(waiting)
        this.#d.logger.info('approval recorded; more needed', { approval: id, task: rec.task.taskId, have: approvals.length, need: need.count })
        return waiting
      }
      const approved: ParkedRecord = { ...rec, state: 'approved', decidedAt: now, decidedBy: v.value.iss, approval: jwt, approvals }
      await this.#save(approved)
      return await this.#runApproved(approved)
    } finally {
      this.#busy.delete(id)
    }
  }

  /**
   * After a restart: tasks recorded as approved but never run (the node stopped in between). One
   * approved before its deadline runs now if the deadline has not passed (the executor's replay guard
   * keeps it to one run); any other is refused APPROVAL_TIMEOUT. Returns how many were settled.
   */
  async resumeInterrupted (): Promise<number> {
    let n = 0
    for (const r of this.list('approved')) {
      if (r.result != null || this.#busy.has(r.id)) continue
      this.#busy.add(r.id)
      try {
        await this.#runApproved(r)
        n++
      } finally {
        this.#busy.delete(r.id)
      }
    }
    return n
  }

  /** The one path that runs a parked task: refused at or after its deadline (ms), whenever it is reached. */
  async #runApproved (approved: ParkedRecord): Promise<ParkedRecord> {
    const now = this.#d.clock.now()
    const late = approved.decidedAt == null || approved.decidedAt >= approved.deadline || now >= approved.deadline
    let result: TaskReply
    if (late) {
      const reason = `task ${approved.task.taskId} reached its run at or after its deadline ${new Date(approved.deadline).toISOString()}`
      await this.#d.audit({ kind: 'approval', subject: approved.id, reason: ApprovalCode.APPROVAL_TIMEOUT, details: { task: approved.task.taskId, decision: 'expired' } })
      result = await this.#d.refuse(approved, ApprovalCode.APPROVAL_TIMEOUT, reason)
      const done: ParkedRecord = { ...approved, state: 'expired', result }
      await this.#save(done)
      this.#d.logger.info('approved task past its deadline: denied', { approval: approved.id, task: approved.task.taskId })
      return done
    }
    try {
      result = await this.#d.run(approved, approved.id)
    } catch (err) {
      result = await this.#d.refuse(approved, 'TASK_FAILED', `the approved task could not run: ${(err as Error).message}`)
    }
    const done: ParkedRecord = { ...approved, result }
    await this.#save(done)
    this.#d.logger.info('approved task ran', { approval: approved.id, task: approved.task.taskId, outcome: result.outcome, code: result.code })
    return done
  }
}

function definedOnly (o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}
