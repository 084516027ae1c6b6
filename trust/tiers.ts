/**
 * The trust scale shared by local scores, attestations and global trust: integers 0..1000 and the
 * tiers of DESIGN.md section 7. An unknown party sits at NEUTRAL (probationary), never trusted.
 */
export const MIN_SCORE = 0
export const MAX_SCORE = 1000
/** Score of a party with no (or only fully decayed) evidence: probationary, not trusted. */
export const NEUTRAL_SCORE = 350
/**
 * Local trust passed on in EigenTrust is the part of a score above this floor (the `standard` tier):
 * a peer must be demonstrably better than a coin toss before it can pass any trust on.
 */
export const TRUST_FLOOR = 500

export type Tier = 'verified' | 'trusted' | 'standard' | 'probationary' | 'untrusted'

/** Lowest score of each tier, highest tier first. */
export const TIER_THRESHOLDS: ReadonlyArray<readonly [Tier, number]> = [
  ['verified', 900],
  ['trusted', 700],
  ['standard', 500],
  ['probationary', 300],
  ['untrusted', 0]
]

/** Tier of a score. Anything that is not a finite number is `untrusted` (fail closed). */
export function tierOf (score: number): Tier {
  if (!Number.isFinite(score)) return 'untrusted'
  for (const [tier, min] of TIER_THRESHOLDS) if (score >= min) return tier
  return 'untrusted'
}

/** Whether a score meets a `minTrust` requirement; NaN or out of range never does. */
export function meetsMinTrust (score: number, minTrust: number): boolean {
  return Number.isFinite(score) && Number.isFinite(minTrust) && score >= minTrust && score <= MAX_SCORE
}

export function clampScore (score: number): number {
  if (!Number.isFinite(score)) return MIN_SCORE
  return Math.min(MAX_SCORE, Math.max(MIN_SCORE, Math.round(score)))
}

/** Local trust an observer passes on in EigenTrust for a score: the part above TRUST_FLOOR. */
export function localTrustFromScore (score: number): number {
  if (!Number.isFinite(score)) return 0
  return Math.max(0, Math.min(MAX_SCORE, score) - TRUST_FLOOR)
}
