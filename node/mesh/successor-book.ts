/**
 * The node's successor records (org key rotations), ours and our partners', persisted by old org DID.
 * It answers when a key was retired (KEY_RETIRED checks) and which records lead to an org DID (sent in
 * our hello). When a partner's hello is signed by a DID we have not enrolled, the records in that
 * hello are followed from a DID we did enrol: the new DID is enrolled with the old one's settings,
 * the record is kept, and the follow is audited. A partner that was offline during the rotation
 * follows the same way when it next connects.
 */
import { verifySuccessorRecord, type KeySuccession, type SuccessorRecord } from '../../identity/successor-record.js'
import type { Clock } from '../../identity/clock.js'
import type { Logger } from '../../identity/logger.js'
import type { Repository } from '../store/repository.js'
import type { Enrolment, Enrolments } from './enrolments.js'
import type { AuditRecorder } from '../components.js'

export interface StoredSuccessor { jwt: string }

export interface SuccessorBookDeps {
  repo: Repository<StoredSuccessor>
  enrolments: Enrolments
  clock: Clock
  logger: Logger
  /** The audit log, once it exists (it is built after the mesh). */
  audit: () => AuditRecorder
}

/** Follow at most this many rotations in one chain. */
const MAX_CHAIN = 16

export class SuccessorBook implements KeySuccession {
  readonly #d: SuccessorBookDeps
  readonly #byOld = new Map<string, SuccessorRecord>()
  readonly #following = new Map<string, Promise<void>>()

  constructor (deps: SuccessorBookDeps) {
    this.#d = deps
  }

  async load (): Promise<void> {
    for (const [, v] of await this.#d.repo.list()) {
      const r = verifySuccessorRecord(v.jwt)
      if (r.ok) this.#byOld.set(r.value.oldDid, r.value)
    }
  }

  /** When `did` was retired (seconds), if a successor record names its replacement. */
  retiredAt (did: string): number | undefined {
    return this.#byOld.get(did)?.at
  }

  /** The DIDs that succeeded `did`, oldest first (KeySuccession). */
  successorsOf (did: string): string[] {
    const out: string[] = []
    let cur = did
    for (let i = 0; i < MAX_CHAIN; i++) {
      const next = this.#byOld.get(cur)
      if (next == null || next.newDid === did || out.includes(next.newDid)) break
      out.push(next.newDid)
      cur = next.newDid
    }
    return out
  }

  /** The DID `did` rotated to, following every successor record (itself when it never rotated). */
  current (did: string): string {
    let cur = did
    for (let i = 0; i < MAX_CHAIN; i++) {
      const next = this.#byOld.get(cur)
      if (next == null) break
      cur = next.newDid
    }
    return cur
  }

  /** Every record we hold, oldest first. */
  records (): SuccessorRecord[] {
    return [...this.#byOld.values()].sort((a, b) => a.at - b.at)
  }

  /** The records leading to `did` (for our hello and identity export), oldest first. */
  chainTo (did: string): string[] {
    const out: SuccessorRecord[] = []
    let cur = did
    for (let i = 0; i < MAX_CHAIN; i++) {
      const prev = [...this.#byOld.values()].find(r => r.newDid === cur)
      if (prev == null) break
      out.unshift(prev)
      cur = prev.oldDid
    }
    return out.map(r => r.jwt)
  }

  /** Keep a record (ours at rotation, or one a partner presented); false if it does not verify. */
  async add (jwt: string): Promise<SuccessorRecord | undefined> {
    const r = verifySuccessorRecord(jwt)
    if (!r.ok) return undefined
    if (this.#byOld.get(r.value.oldDid)?.jwt === jwt) return r.value
    const have = this.#byOld.get(r.value.oldDid)
    // a key names one successor: the first record stands
    if (have != null) return have.newDid === r.value.newDid ? have : undefined
    await this.#d.repo.put(r.value.oldDid, { jwt })
    this.#byOld.set(r.value.oldDid, r.value)
    return r.value
  }

  /**
   * Hello from `did`, which is not enrolled: if `records` lead to it from an enrolled DID, return that
   * enrolment (as `did`'s) and enrol `did` in its place in the background. Synchronous for hello.
   */
  follow (did: string, records: readonly string[]): Enrolment | undefined {
    const enrolled = this.#d.enrolments.get(did)
    if (enrolled != null) return enrolled
    const verified = new Map<string, SuccessorRecord>()
    for (const jwt of records.slice(0, MAX_CHAIN)) {
      const r = verifySuccessorRecord(jwt)
      if (r.ok) verified.set(r.value.newDid, r.value)
    }
    const path: SuccessorRecord[] = []
    let cur = did
    let from: Enrolment | undefined
    for (let i = 0; i < MAX_CHAIN; i++) {
      const r = verified.get(cur) ?? [...this.#byOld.values()].find(x => x.newDid === cur)
      if (r == null) break
      path.unshift(r)
      const e = this.#d.enrolments.get(r.oldDid)
      if (e != null) { from = e; break }
      cur = r.oldDid
    }
    if (from == null) return undefined
    // a key names one successor: a record that contradicts one we hold (a fork signed by a retired
    // key, stolen or not) is never followed
    const fork = path.find(r => { const have = this.#byOld.get(r.oldDid); return have != null && have.newDid !== r.newDid })
    if (fork != null) {
      this.#d.logger.warn('successor record refused: its key already names another successor', { code: 'SUCCESSOR_CONFLICT', oldDid: fork.oldDid, claimed: fork.newDid, known: this.#byOld.get(fork.oldDid)?.newDid })
      return undefined
    }
    if (!this.#following.has(did)) {
      const done = this.#adopt(from, did, path).catch(err => { this.#d.logger.error('following a successor failed', { from: from?.orgDid, to: did, error: (err as Error).message }) })
        .finally(() => { this.#following.delete(did) })
      this.#following.set(did, done)
    }
    return { ...from, orgDid: did }
  }

  async #adopt (from: Enrolment, did: string, path: SuccessorRecord[]): Promise<void> {
    for (const r of path) {
      if (await this.add(r.jwt) == null) throw new Error(`successor record ${r.oldDid} -> ${r.newDid} conflicts with one already held (SUCCESSOR_CONFLICT): not enrolled`)
    }
    const audited = await this.#d.audit().record({ kind: 'enrolment', subject: did, reason: 'successor', details: { from: from.orgDid, to: did, records: path.map(r => ({ oldDid: r.oldDid, newDid: r.newDid, at: r.at })) } })
    if (!audited.ok) throw new Error(`audit unavailable: ${audited.error.message}`)
    const { enrolledAt: _e, orgDid: _o, ...settings } = from
    await this.#d.enrolments.add({ ...settings, orgDid: did } as never, this.#d.clock.now())
    this.#d.logger.info('partner org key rotated: following its successor', { from: from.orgDid, to: did, name: from.name })
  }

  /** Settle background follows (stop, tests). */
  async settled (): Promise<void> {
    await Promise.all([...this.#following.values()])
  }
}
