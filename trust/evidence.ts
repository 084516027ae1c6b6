/**
 * First-hand trust evidence: a task receipt signed by the node that ran the task, already verified
 * by the receipt protocol and reduced to an EvidenceRecord. Only admissible records count: each
 * receipt once (by CID), never evidence an org produced about itself, never evidence from the future.
 */
import { fail, ok, type Failure, type Result } from '../identity/result.js'

export type Outcome = 'ok' | 'error' | 'denied' | 'timeout'
export const OUTCOMES: readonly Outcome[] = ['ok', 'error', 'denied', 'timeout']

export interface EvidenceRecord {
  /** Content id of the verified receipt; the de-duplication key. */
  readonly receiptCid: string
  /** DID of the org whose node ran the task and signed the receipt. */
  readonly executorOrg: string
  /** DID of the agent being judged. */
  readonly subjectAgent: string
  /** DID of the org that issued the subject agent's credential. */
  readonly subjectOrg: string
  readonly outcome: Outcome
  /** The executor denied or flagged the task for breaking a policy: weighs more than an error. */
  readonly policyViolation?: boolean
  /** When the task finished, ms since the epoch. */
  readonly at: number
}

/** Raw outcome counts, as carried in attestations. */
export interface EvidenceCounts {
  ok: number
  error: number
  denied: number
  timeout: number
}

export const EvidenceErrorCode = {
  INVALID_EVIDENCE: 'INVALID_EVIDENCE',
  SELF_EVIDENCE: 'SELF_EVIDENCE',
  DUPLICATE_RECEIPT: 'DUPLICATE_RECEIPT',
  CONFLICTING_RECEIPT: 'CONFLICTING_RECEIPT',
  FUTURE_EVIDENCE: 'FUTURE_EVIDENCE'
} as const

const MAX_ID_LENGTH = 512

function isId (v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH
}

/** Schema check of an untrusted record (e.g. read back from storage). */
export function parseEvidence (value: unknown): Result<EvidenceRecord> {
  if (value == null || typeof value !== 'object') return fail(EvidenceErrorCode.INVALID_EVIDENCE, 'evidence must be an object')
  const r = value as Record<string, unknown>
  for (const k of ['receiptCid', 'executorOrg', 'subjectAgent', 'subjectOrg'] as const) {
    if (!isId(r[k])) return fail(EvidenceErrorCode.INVALID_EVIDENCE, `evidence.${k} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`)
  }
  if (!OUTCOMES.includes(r.outcome as Outcome)) return fail(EvidenceErrorCode.INVALID_EVIDENCE, `evidence.outcome ${JSON.stringify(r.outcome)} is not one of ${OUTCOMES.join(', ')}`)
  if (r.policyViolation !== undefined && typeof r.policyViolation !== 'boolean') return fail(EvidenceErrorCode.INVALID_EVIDENCE, 'evidence.policyViolation must be a boolean')
  if (typeof r.at !== 'number' || !Number.isSafeInteger(r.at) || r.at < 0) return fail(EvidenceErrorCode.INVALID_EVIDENCE, 'evidence.at must be a non-negative integer (ms)')
  const rec: EvidenceRecord = {
    receiptCid: r.receiptCid as string,
    executorOrg: r.executorOrg as string,
    subjectAgent: r.subjectAgent as string,
    subjectOrg: r.subjectOrg as string,
    outcome: r.outcome as Outcome,
    at: r.at,
    ...(r.policyViolation === true ? { policyViolation: true } : {})
  }
  return ok(rec)
}

export interface AdmitOptions {
  /** Current time, ms. Records later than `now + skewMs` are rejected. */
  now: number
  /** Tolerated clock skew between nodes, ms (default 60 s). */
  skewMs?: number
}

export interface Rejected {
  readonly record: EvidenceRecord
  readonly error: Failure
}

export interface AdmittedEvidence {
  readonly accepted: readonly EvidenceRecord[]
  readonly rejected: readonly Rejected[]
}

function sameRecord (a: EvidenceRecord, b: EvidenceRecord): boolean {
  return a.executorOrg === b.executorOrg && a.subjectAgent === b.subjectAgent && a.subjectOrg === b.subjectOrg &&
    a.outcome === b.outcome && (a.policyViolation === true) === (b.policyViolation === true) && a.at === b.at
}

/**
 * Filter evidence down to what may count. A receipt CID seen twice with the same content counts once;
 * seen with different content (which a content id makes impossible for honest input) it counts not
 * at all. Evidence whose executor org is the subject's own org is self-reported and excluded.
 */
export function admitEvidence (records: Iterable<EvidenceRecord>, options: AdmitOptions): AdmittedEvidence {
  const skew = options.skewMs ?? 60_000
  const byCid = new Map<string, EvidenceRecord>()
  const conflicted = new Set<string>()
  const rejected: Rejected[] = []
  for (const record of records) {
    const parsed = parseEvidence(record)
    if (!parsed.ok) { rejected.push({ record, error: parsed.error }); continue }
    const rec = parsed.value
    if (rec.executorOrg === rec.subjectOrg) {
      rejected.push({ record, error: { code: EvidenceErrorCode.SELF_EVIDENCE, message: `receipt ${rec.receiptCid} was signed by ${rec.executorOrg}, the subject's own org: self-reported evidence does not count` } })
      continue
    }
    if (rec.at > options.now + skew) {
      rejected.push({ record, error: { code: EvidenceErrorCode.FUTURE_EVIDENCE, message: `receipt ${rec.receiptCid} is dated ${rec.at - options.now} ms in the future` } })
      continue
    }
    const seen = byCid.get(rec.receiptCid)
    if (seen === undefined) {
      if (conflicted.has(rec.receiptCid)) rejected.push({ record, error: { code: EvidenceErrorCode.CONFLICTING_RECEIPT, message: `receipt ${rec.receiptCid} appears with conflicting contents` } })
      else byCid.set(rec.receiptCid, rec)
    } else if (sameRecord(seen, rec)) {
      rejected.push({ record, error: { code: EvidenceErrorCode.DUPLICATE_RECEIPT, message: `receipt ${rec.receiptCid} already counted` } })
    } else {
      byCid.delete(rec.receiptCid)
      conflicted.add(rec.receiptCid)
      rejected.push({ record: seen, error: { code: EvidenceErrorCode.CONFLICTING_RECEIPT, message: `receipt ${rec.receiptCid} appears with conflicting contents` } })
      rejected.push({ record, error: { code: EvidenceErrorCode.CONFLICTING_RECEIPT, message: `receipt ${rec.receiptCid} appears with conflicting contents` } })
    }
  }
  return { accepted: [...byCid.values()], rejected }
}

/** Raw outcome counts of a set of records. */
export function countOutcomes (records: Iterable<EvidenceRecord>): EvidenceCounts {
  const c: EvidenceCounts = { ok: 0, error: 0, denied: 0, timeout: 0 }
  for (const r of records) c[r.outcome]++
  return c
}
