/**
 * Offline verification of an audit log against its latest signed checkpoint: recompute the Merkle
 * tree from the stored entry bytes (never from stored hashes), check the root, the node's signature
 * and the cosignatures. An edited entry changes the root (ROOT_MISMATCH); a cut tail leaves fewer
 * entries than the checkpoint commits to (TRUNCATED). Works on a live AuditLog or on raw entries.
 */
import { fail, ok, type Result } from '../identity/result.js'
import { AuditLog } from './audit-log.js'
import { decodeEntry } from './entry.js'
import { verifyCheckpoint, verifyCosignatures, type Checkpoint, type KnownKey } from './checkpoint.js'
import { equalBytes, hashLeaf, rootHash } from './merkle.js'

export const VerifyLogErrorCode = {
  TRUNCATED: 'TRUNCATED',
  ROOT_MISMATCH: 'ROOT_MISMATCH',
  SEQ_MISMATCH: 'SEQ_MISMATCH',
  STATE_MISMATCH: 'STATE_MISMATCH',
  AUDIT_UNREADABLE: 'AUDIT_UNREADABLE',
  UNKNOWN_LOG_KEY: 'UNKNOWN_LOG_KEY'
} as const

export interface VerifyLogOptions {
  /** Cosigners whose signatures are required (all of them unless `minCosignatures` says fewer). */
  readonly cosigners?: readonly KnownKey[]
  readonly minCosignatures?: number
  /** Expected origin; default: the checkpoint's own. */
  readonly origin?: string
  /** The node's key; default: the did:key in an origin of the form `trustmesh/<did:key>`. */
  readonly publicKeyOrDid?: string | Uint8Array
}

export interface LogVerification {
  readonly checkpoint: Checkpoint
  /** Entries present, including any appended after the checkpoint. */
  readonly entries: number
  readonly cosigners: readonly string[]
  /** Leaf hashes of the first checkpoint.size entries, for proof checks. */
  readonly leafHashes: readonly Uint8Array[]
}

function keyFromOrigin (origin: string): string | undefined {
  const m = /^trustmesh\/(did:key:[1-9A-HJ-NP-Za-km-z]+)$/.exec(origin)
  return m?.[1]
}

/** Checks the checkpoint's signature and cosignatures only. */
export function verifySignedCheckpoint (checkpoint: string, options: VerifyLogOptions = {}): Result<{ checkpoint: Checkpoint, cosigners: string[] }> {
  const firstLine = checkpoint.slice(0, Math.max(0, checkpoint.indexOf('\n')))
  const origin = options.origin ?? firstLine
  const key = options.publicKeyOrDid ?? keyFromOrigin(origin)
  if (key == null) return fail(VerifyLogErrorCode.UNKNOWN_LOG_KEY, `no key given for the log ${JSON.stringify(origin)} and its origin names none`)
  const signed = verifyCheckpoint(checkpoint, { origin, publicKeyOrDid: key })
  if (!signed.ok) return signed
  const co = verifyCosignatures(checkpoint, options.cosigners ?? [], options.minCosignatures == null ? {} : { min: options.minCosignatures })
  if (!co.ok) return co
  return ok({ checkpoint: signed.value, cosigners: co.value.verified })
}

/** Verifies raw canonical entry bytes (index order) against a signed checkpoint. */
export function verifyEntries (entries: readonly Uint8Array[], checkpoint: string, options: VerifyLogOptions = {}): Result<LogVerification> {
  const signed = verifySignedCheckpoint(checkpoint, options)
  if (!signed.ok) return signed
  const cp = signed.value.checkpoint
  if (entries.length < cp.size) {
    return fail(VerifyLogErrorCode.TRUNCATED, `log holds ${entries.length} entries but its checkpoint commits to ${cp.size}`)
  }
  const leafHashes: Uint8Array[] = []
  for (let i = 0; i < entries.length; i++) {
    const decoded = decodeEntry(entries[i])
    if (!decoded.ok) return fail(decoded.error.code, `entry ${i}: ${decoded.error.message}`)
    if (decoded.value.seq !== i) return fail(VerifyLogErrorCode.SEQ_MISMATCH, `entry ${i} carries seq ${decoded.value.seq}`)
    if (i < cp.size) leafHashes.push(hashLeaf(entries[i]))
  }
  const root = rootHash(leafHashes)
  if (!equalBytes(root, cp.root)) {
    return fail(VerifyLogErrorCode.ROOT_MISMATCH, `the first ${cp.size} entries hash to a different root than the signed checkpoint (an entry was changed, removed or reordered)`)
  }
  return ok({ checkpoint: cp, entries: entries.length, cosigners: signed.value.cosigners, leafHashes })
}

/**
 * Verifies a log (or raw entries) against its latest signed checkpoint. For a live log it also
 * checks that the log's own tree state matches the entries it stores, including those appended
 * after the checkpoint (STATE_MISMATCH).
 */
export async function verifyLog (source: AuditLog | readonly Uint8Array[], checkpoint: string, options: VerifyLogOptions = {}): Promise<Result<LogVerification>> {
  if (!(source instanceof AuditLog)) return verifyEntries(source, checkpoint, options)
  const head = source.head() // entries are read up to this size and checked against its root
  let raw: Uint8Array[]
  try {
    raw = await source.rawEntries(head.size)
  } catch (err) {
    const code = (err as { code?: string }).code === 'AUDIT_CORRUPT' ? VerifyLogErrorCode.TRUNCATED : VerifyLogErrorCode.AUDIT_UNREADABLE
    return fail(code, `audit log could not be read in full: ${(err as Error).message}`)
  }
  const r = verifyEntries(raw, checkpoint, options)
  if (!r.ok) return r
  const all = rootHash(raw.map(hashLeaf))
  if (!equalBytes(all, head.root)) {
    return fail(VerifyLogErrorCode.STATE_MISMATCH, `the ${raw.length} stored entries do not hash to the log's recorded root`)
  }
  return r
}
