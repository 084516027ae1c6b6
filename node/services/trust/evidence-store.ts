/**
 * Persisted first-hand trust evidence, one record per observed task (keyed by invocation CID, so the
 * same outcome never counts twice), held in memory for scoring. Records whose decayed weight has
 * become negligible are pruned.
 *
 * Records are written without sync. Evidence is not among the security-relevant writes of DESIGN.md
 * section 9 and nothing is promised on it: the task it comes from is already durable in the audit log
 * (synced before the task took effect), a record lost in a crash only means that one outcome does not
 * count, and the next synced write of the store flushes it. A synced write here put one fsync per task
 * on the reply path of both nodes (B12 profile).
 */
import { parseEvidence, decayWeight, type EvidenceRecord } from '../../../trust/index.js'
import type { Repository } from '../../store/repository.js'
import type { Logger } from '../../../identity/logger.js'

/** Most records kept; the oldest go first beyond it. */
export const MAX_EVIDENCE_RECORDS = 100_000

export class EvidenceStore {
  readonly #repo: Repository<EvidenceRecord>
  readonly #log: Logger
  readonly #records = new Map<string, EvidenceRecord>()

  constructor (deps: { repo: Repository<EvidenceRecord>, logger: Logger }) {
    this.#repo = deps.repo
    this.#log = deps.logger
  }

  async load (): Promise<void> {
    this.#records.clear()
    for (const [key, value] of await this.#repo.list()) {
      const p = parseEvidence(value)
      if (p.ok) this.#records.set(key, p.value)
      else this.#log.warn('stored trust evidence is invalid; ignored', { key, code: p.error.code })
    }
  }

  /** Store a record; false when one with the same CID is already held (it is never replaced). */
  async add (record: EvidenceRecord): Promise<boolean> {
    const p = parseEvidence(record)
    if (!p.ok) throw new RangeError(`invalid evidence: ${p.error.message}`)
    if (this.#records.has(record.receiptCid)) return false
    this.#records.set(record.receiptCid, p.value)
    try {
      await this.#repo.put(record.receiptCid, p.value, { sync: false })
    } catch (err) {
      this.#records.delete(record.receiptCid)
      throw err
    }
    return true
  }

  /** Delete every record `match` selects (the operator's `trust forgive`); returns how many. */
  async remove (match: (record: EvidenceRecord) => boolean): Promise<number> {
    const drop = [...this.#records.entries()].filter(([, r]) => match(r)).map(([k]) => k)
    for (const k of drop) {
      await this.#repo.del(k)
      this.#records.delete(k)
    }
    return drop.length
  }

  has (cid: string): boolean {
    return this.#records.has(cid)
  }

  all (): EvidenceRecord[] {
    return [...this.#records.values()]
  }

  get size (): number {
    return this.#records.size
  }

  /** Drop records weighing less than `minWeight` now, and the oldest beyond the cap. */
  async prune (now: number, halfLifeMs: number, minWeight = 1e-3): Promise<number> {
    const drop: string[] = []
    for (const [k, r] of this.#records) if (decayWeight(r.at, now, halfLifeMs) < minWeight) drop.push(k)
    if (this.#records.size - drop.length > MAX_EVIDENCE_RECORDS) {
      const keep = [...this.#records.entries()].filter(([k]) => !drop.includes(k)).sort((a, b) => a[1].at - b[1].at)
      for (const [k] of keep.slice(0, keep.length - MAX_EVIDENCE_RECORDS)) drop.push(k)
    }
    for (const k of drop) {
      await this.#repo.del(k)
      this.#records.delete(k)
    }
    return drop.length
  }
}
