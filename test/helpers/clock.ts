/** A clock tests move by hand. */
import type { Clock } from '../../identity/clock.js'

export interface FakeClock extends Clock {
  set: (ms: number) => void
  advance: (ms: number) => void
}

/** 2026-01-01T00:00:00Z unless told otherwise. */
export function fakeClock (start = Date.UTC(2026, 0, 1)): FakeClock {
  let t = start
  return { now: () => t, set: (ms) => { t = ms }, advance: (ms) => { t += ms } }
}
