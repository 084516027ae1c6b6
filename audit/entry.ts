/**
 * Audit entries and their canonical bytes. The bytes that are hashed into the Merkle tree are the
 * UTF-8 of a canonical JSON text: object keys sorted by UTF-16 code units, no whitespace, strings
 * and numbers as ECMAScript JSON.stringify writes them (this is RFC 8785 JCS for the values we
 * allow), the one canonical JSON of identity/canonical-json.ts. Values are limited to null, booleans, finite numbers, strings, arrays and plain objects,
 * nested at most MAX_DEPTH deep; anything else is refused, so one entry has exactly one encoding.
 * Canonical JSON never contains a raw newline, which lets bundles store one entry per line.
 */
import { canonicalJson as sharedCanonicalJson, CanonicalJsonError } from '../identity/canonical-json.js'
import { fail, ok, type Result } from '../identity/result.js'

export const AUDIT_KINDS = [
  'task.allow', 'task.deny', 'task.pending', 'approval', 'revocation', 'enrolment', 'elevation',
  'policy.load', 'trust.update', 'node.start', 'node.stop', 'delegation', 'principal.conflict', 'saga'
] as const
export type AuditKind = typeof AUDIT_KINDS[number]

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

export interface AuditEntry {
  /** Position in the log, equal to the leaf index. */
  readonly seq: number
  /** Milliseconds since the epoch, from the node's injected clock. */
  readonly time: number
  readonly kind: AuditKind
  /** Who or what the decision is about: an agent DID, a task id, an org DID. */
  readonly subject: string
  /** The reason code of a deny, or the rule that allowed. */
  readonly reason?: string
  readonly details: { readonly [key: string]: JsonValue }
}

export const MAX_DEPTH = 16
export const MAX_ENTRY_BYTES = 64 * 1024

export const EntryErrorCode = {
  MALFORMED_ENTRY: 'MALFORMED_ENTRY',
  NON_CANONICAL_ENTRY: 'NON_CANONICAL_ENTRY'
} as const

export class InvalidEntryError extends Error {
  override readonly name = 'InvalidEntryError'
  readonly code = EntryErrorCode.MALFORMED_ENTRY
}

/** Canonical JSON text of any allowed value (throws InvalidEntryError otherwise). */
export function canonicalJson (value: unknown): string {
  try {
    return sharedCanonicalJson(value, { maxDepth: MAX_DEPTH })
  } catch (err) {
    if (err instanceof CanonicalJsonError) throw new InvalidEntryError(err.message)
    throw err
  }
}

function shapeError (entry: unknown): string | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return 'entry is not an object'
  const e = entry as Record<string, unknown>
  const allowed = new Set(['seq', 'time', 'kind', 'subject', 'reason', 'details'])
  for (const k of Object.keys(e)) if (!allowed.has(k) && e[k] !== undefined) return `entry has an unknown field "${k}"`
  if (typeof e.seq !== 'number' || !Number.isSafeInteger(e.seq) || e.seq < 0) return 'seq must be a non-negative integer'
  if (typeof e.time !== 'number' || !Number.isSafeInteger(e.time) || e.time < 0) return 'time must be a non-negative integer (ms)'
  if (typeof e.kind !== 'string' || !(AUDIT_KINDS as readonly string[]).includes(e.kind)) return `kind ${JSON.stringify(e.kind)} is not an audit kind`
  if (typeof e.subject !== 'string' || e.subject.length === 0) return 'subject must be a non-empty string'
  if (e.reason !== undefined && typeof e.reason !== 'string') return 'reason must be a string'
  if (e.details === null || typeof e.details !== 'object' || Array.isArray(e.details)) return 'details must be an object'
  return undefined
}

/** Canonical bytes of an entry; throws InvalidEntryError for an entry of the wrong shape. */
export function encodeEntry (entry: AuditEntry): Uint8Array {
  const problem = shapeError(entry)
  if (problem != null) throw new InvalidEntryError(problem)
  const bytes = new TextEncoder().encode(canonicalJson(entry))
  if (bytes.length > MAX_ENTRY_BYTES) throw new InvalidEntryError(`entry is ${bytes.length} bytes, more than ${MAX_ENTRY_BYTES}`)
  return bytes
}

/** Parses entry bytes and accepts them only if they are exactly the canonical encoding. */
export function decodeEntry (bytes: Uint8Array): Result<AuditEntry> {
  if (bytes.length > MAX_ENTRY_BYTES) return fail(EntryErrorCode.MALFORMED_ENTRY, `entry is ${bytes.length} bytes, more than ${MAX_ENTRY_BYTES}`)
  let text: string
  let value: unknown
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    value = JSON.parse(text)
  } catch {
    return fail(EntryErrorCode.MALFORMED_ENTRY, 'entry is not UTF-8 JSON')
  }
  const problem = shapeError(value)
  if (problem != null) return fail(EntryErrorCode.MALFORMED_ENTRY, problem)
  let again: string
  try {
    again = canonicalJson(value)
  } catch (err) {
    return fail(EntryErrorCode.MALFORMED_ENTRY, (err as Error).message)
  }
  if (again !== text) return fail(EntryErrorCode.NON_CANONICAL_ENTRY, 'entry bytes are not in canonical form')
  return ok(value as AuditEntry)
}
