/**
 * Local score of a peer org or agent from first-hand evidence: a beta-reputation estimate of the
 * chance it behaves, pulled toward NEUTRAL by a prior, with each receipt weighted by exponential time
 * decay. It is a pure function of (evidence, now): asking twice gives the same answer and old evidence
 * fades back toward neutral instead of compounding.
 *
 *   w(r)  = 2^(-(now - r.at) / halfLife)
 *   S     = sum of w over successes, F = sum of w * failureWeight over failures
 *   score = 1000 * (S + k * NEUTRAL/1000) / (S + F + k)
 *
 * A burst of refusals is bounded: policy violations within `burstWindowMs` of the first of a burst
 * count at most `violationsPerBurst` times (a node retrying one bad request six times is one
 * incident, not six), so a handful of retries cannot take a partner from standard to untrusted.
 *
 * With the default prior k = 20 an all-success party needs about 24 fresh receipts to reach
 * `trusted` (700) and about 110 to reach `verified` (900); a 95% success rate tops out near 950.
 */
import type { Clock } from '../identity/clock.js'
import { admitEvidence, countOutcomes, type EvidenceCounts, type EvidenceRecord } from './evidence.js'
import { MAX_SCORE, NEUTRAL_SCORE, clampScore, tierOf, type Tier } from './tiers.js'

export const DAY_MS = 86_400_000

export interface LocalScoreOptions {
  /** Age at which a receipt counts half, ms. Default 14 days. */
  halfLifeMs?: number
  /** Strength of the prior in receipts' worth of evidence. Default 20. */
  priorWeight?: number
  /** Score of a party without evidence. Default NEUTRAL_SCORE (350, probationary). */
  neutral?: number
  /** Weight of an error, timeout or plain denial. Default 1. */
  failureWeight?: number
  /** Weight of a receipt flagged as a policy violation (whatever its outcome). Default 3. */
  violationWeight?: number
  /** Violations within this long of the first of a burst belong to that burst, ms. Default 10 minutes. */
  burstWindowMs?: number
  /** Violations of one burst that count at all. Default 2. */
  violationsPerBurst?: number
}

export const DEFAULT_BURST_WINDOW_MS = 10 * 60_000
export const DEFAULT_VIOLATIONS_PER_BURST = 2

export interface LocalAssessment {
  readonly score: number
  readonly tier: Tier
  /** Decayed weight of successes. */
  readonly successWeight: number
  /** Decayed, severity-weighted failures. */
  readonly failureWeight: number
  /** Raw counts of the records that went in. */
  readonly counts: EvidenceCounts
  /** Number of records that went in. */
  readonly evidence: number
  /** Timestamp of the newest record, if any. */
  readonly newest?: number
}

interface Resolved { halfLifeMs: number, priorWeight: number, neutral: number, failureWeight: number, violationWeight: number, burstWindowMs: number, violationsPerBurst: number }

function resolve (o: LocalScoreOptions): Resolved {
  const r = {
    halfLifeMs: o.halfLifeMs ?? 14 * DAY_MS,
    priorWeight: o.priorWeight ?? 20,
    neutral: o.neutral ?? NEUTRAL_SCORE,
    failureWeight: o.failureWeight ?? 1,
    violationWeight: o.violationWeight ?? 3,
    burstWindowMs: o.burstWindowMs ?? DEFAULT_BURST_WINDOW_MS,
    violationsPerBurst: o.violationsPerBurst ?? DEFAULT_VIOLATIONS_PER_BURST
  }
  if (!(r.halfLifeMs > 0) || !(r.priorWeight > 0) || !(r.neutral >= 0 && r.neutral <= MAX_SCORE) || !(r.failureWeight >= 0) || !(r.violationWeight >= 0) ||
    !(r.burstWindowMs >= 0) || !(Number.isInteger(r.violationsPerBurst) && r.violationsPerBurst >= 1)) {
    throw new RangeError('invalid local score options')
  }
  return r
}

/** Decay factor of a receipt dated `at` seen at `now`; evidence dated slightly ahead counts as fresh. */
export function decayWeight (at: number, now: number, halfLifeMs: number): number {
  const age = Math.max(0, now - at)
  return Math.pow(2, -age / halfLifeMs)
}

/**
 * Score records that are already admitted (see admitEvidence) and concern one subject.
 * Does not de-duplicate or filter; `scoreSubject` does both.
 */
export function localScore (records: readonly EvidenceRecord[], now: number, options: LocalScoreOptions = {}): LocalAssessment {
  const o = resolve(options)
  let s = 0
  let f = 0
  let newest: number | undefined
  const violations: EvidenceRecord[] = []
  for (const r of records) {
    const w = decayWeight(r.at, now, o.halfLifeMs)
    if (r.policyViolation === true) violations.push(r)
    else if (r.outcome === 'ok') s += w
    else f += w * o.failureWeight
    if (newest === undefined || r.at > newest) newest = r.at
  }
  f += violationWeight(violations, now, o)
  const k = o.priorWeight
  const score = clampScore(MAX_SCORE * (s + k * o.neutral / MAX_SCORE) / (s + f + k))
  return {
    score,
    tier: tierOf(score),
    successWeight: s,
    failureWeight: f,
    counts: countOutcomes(records),
    evidence: records.length,
    ...(newest !== undefined ? { newest } : {})
  }
}

/** Decayed weight of policy violations, each burst counting at most `violationsPerBurst` of them. */
function violationWeight (violations: EvidenceRecord[], now: number, o: Resolved): number {
  violations.sort((a, b) => a.at - b.at || (a.receiptCid < b.receiptCid ? -1 : a.receiptCid > b.receiptCid ? 1 : 0))
  let f = 0
  let burstStart = -Infinity
  let inBurst = 0
  for (const r of violations) {
    if (r.at - burstStart > o.burstWindowMs) { burstStart = r.at; inBurst = 0 }
    if (inBurst++ < o.violationsPerBurst) f += decayWeight(r.at, now, o.halfLifeMs) * o.violationWeight
  }
  return f
}

/**
 * Local score of `subject` (an agent DID, or an org DID meaning all its agents) from raw evidence:
 * admits the records first (one per receipt, no self-evidence, nothing from the future), then scores.
 */
export function scoreSubject (records: Iterable<EvidenceRecord>, subject: string, clock: Clock, options: LocalScoreOptions = {}): LocalAssessment {
  const now = clock.now()
  const { accepted } = admitEvidence(records, { now })
  return localScore(accepted.filter(r => r.subjectAgent === subject || r.subjectOrg === subject), now, options)
}
