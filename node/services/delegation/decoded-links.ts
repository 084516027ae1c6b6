/**
 * Delegation links decoded once: `decodeDelegation` is a pure function of the token's text, and a
 * task's chain links (the same few JWTs on every task under one delegation) were decoded again by
 * every step that looks at them: the sender's plan, proof and credentials steps, the executing node's
 * credentials step and its retired-key check (B12 profile). Only decoding is remembered, never a
 * check: signatures, time, revocation and everything else are judged by their steps every time.
 *
 * Remembered by exact JWT text, failures too (the same text always fails the same way), at most
 * MAX_DECODED; beyond that the memory starts again (a cost, never a wrong answer). Invocations are
 * unique per task: decode them with `decodeDelegation` directly.
 */
import { decodeDelegation, type Delegation } from '../../../identity/ucan/index.js'
import type { Result } from '../../../identity/result.js'

export const MAX_DECODED = 4096

const decoded = new Map<string, Result<Delegation>>()
let decodes = 0

/** `decodeDelegation(jwt)`, remembered by the JWT's text. The value is shared: read it, never change it. */
export function decodeLink (jwt: unknown): Result<Delegation> {
  if (typeof jwt !== 'string') return decodeDelegation(jwt)
  const hit = decoded.get(jwt)
  if (hit != null) return hit
  decodes++
  const d = decodeDelegation(jwt)
  if (decoded.size >= MAX_DECODED) decoded.clear()
  decoded.set(jwt, d)
  return d
}

/** Decodes made so far (for tests: a link seen before is not decoded again). */
export function linkDecodes (): number {
  return decodes
}
