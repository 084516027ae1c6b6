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
}

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

interface Resolved { halfLifeMs: number, priorWeight: number, neutral: number, failureWeight: number, violationWeight: number }

function resolve (o: LocalScoreOptions): Resolved {
  const r = {
    halfLifeMs: o.halfLifeMs ?? 14 * DAY_MS,
    priorWeight: o.priorWeight ?? 20,
    neutral: o.neutral ?? NEUTRAL_SCORE,
    failureWeight: o.failureWeight ?? 1,
    violationWeight: o.violationWeight ?? 3
  }
  if (!(r.halfLifeMs > 0) || !(r.priorWeight > 0) || !(r.neutral >= 0 && r.neutral <= MAX_SCORE) || !(r.failureWeight >= 0) || !(r.violationWeight >= 0)) {
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
  for (const r of records) {
    const w = decayWeight(r.at, now, o.halfLifeMs)
    if (r.policyViolation === true) f += w * o.violationWeight
    else if (r.outcome === 'ok') s += w
    else f += w * o.failureWeight
    if (newest === undefined || r.at > newest) newest = r.at
  }
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

/**
 * Local score of `subject` (an agent DID, or an org DID meaning all its agents) from raw evidence:
 * admits the records first (one per receipt, no self-evidence, nothing from the future), then scores.
 */
export function scoreSubject (records: Iterable<EvidenceRecord>, subject: string, clock: Clock, options: LocalScoreOptions = {}): LocalAssessment {
  const now = clock.now()
  const { accepted } = admitEvidence(records, { now })
  return localScore(accepted.filter(r => r.subjectAgent === subject || r.subjectOrg === subject), now, options)
}
