/**
 * Bounded exponential backoff with injectable timers, for reconnecting Workload API streams. A wait
 * resolves `false` instead of throwing when it is aborted, so retry loops end quietly on close.
 */
export interface Timers {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => { clearTimeout(h as ReturnType<typeof setTimeout>) }
}

export interface BackoffOptions {
  /** First delay, ms (default 100). */
  initialMs?: number
  /** Largest delay, ms (default 10 000). */
  maxMs?: number
  /** Growth factor (default 2). */
  factor?: number
}

export class Backoff {
  readonly #initial: number
  readonly #max: number
  readonly #factor: number
  #next: number

  constructor (options: BackoffOptions = {}) {
    this.#initial = Math.max(1, options.initialMs ?? 100)
    this.#max = Math.max(this.#initial, options.maxMs ?? 10_000)
    this.#factor = Math.max(1, options.factor ?? 2)
    this.#next = this.#initial
  }

  /** The delay to wait now; grows the next one. */
  nextDelay (): number {
    const d = this.#next
    this.#next = Math.min(this.#max, this.#next * this.#factor)
    return d
  }

  reset (): void {
    this.#next = this.#initial
  }
}

/** Wait `ms`; resolves true when the time passed, false when `signal` aborted first. */
export async function waitFor (ms: number, timers: Timers, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return false
  return await new Promise<boolean>(resolve => {
    const onAbort = (): void => { timers.clearTimeout(handle); resolve(false) }
    const handle = timers.setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(true) }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
