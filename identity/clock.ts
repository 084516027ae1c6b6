/**
 * Time is injected everywhere a decision depends on it: decision logic takes a Clock and never reads
 * the system time itself, so tests can move time and replays of old evidence stay deterministic.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now: () => number
}

export const systemClock: Clock = { now: () => Date.now() }

/** Whole seconds since the epoch, as JWT `iat`/`nbf`/`exp` use. */
export function nowSeconds (clock: Clock): number {
  return Math.floor(clock.now() / 1000)
}
