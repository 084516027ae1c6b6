/**
 * Verification results. Every check returns `{ ok: true, value }` or `{ ok: false, error }`, never
 * throws for a bad input; the error carries a stable reason code that callers, the CLI and the wire
 * protocols can rely on (codes are never renamed or reused).
 */
export interface Failure {
  /** Stable reason code, upper snake case, e.g. `BAD_SIGNATURE`. */
  readonly code: string
  /** Human explanation naming what failed and where (link index, DID, field). */
  readonly message: string
  /** Index of the chain link the failure concerns, when it concerns one (0 = root). */
  readonly link?: number
  /** Underlying failures, e.g. why each alternative path was rejected. */
  readonly causes?: readonly Failure[]
}

export type Result<T> = { readonly ok: true, readonly value: T } | { readonly ok: false, readonly error: Failure }

export function ok<T> (value: T): { ok: true, value: T } {
  return { ok: true, value }
}

export function fail (code: string, message: string, extra: { link?: number, causes?: readonly Failure[] } = {}): { ok: false, error: Failure } {
  return { ok: false, error: { code, message, ...extra } }
}
