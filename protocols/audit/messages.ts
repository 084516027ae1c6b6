/**
 * audit (`/trustmesh/audit/1.0.0`): a log owner asks a witness (a node of an enrolled org) to cosign
 * its latest checkpoint. One request, one reply per stream:
 *
 *   owner -> witness  { v: 1, checkpoint, from, proof }   signed checkpoint of size n, and a
 *                                                         consistency proof from size `from` to n
 *   witness -> owner  { v: 1, ok: true, cosigned }        the checkpoint with the witness's line added
 *                   | { v: 1, ok: false, code, message, size? }   refused; `size` is the size the
 *                                                         witness last cosigned (the owner retries once
 *                                                         with a proof from there)
 *
 * The witness checks the owner's signature and consistency with the last checkpoint it cosigned for
 * that log before it signs anything; the owner checks the returned cosignature before keeping it.
 */
import { arrayOf, int, literal, object, schemaOf, str, bool } from '../schema.js'

export const AUDIT_PROTOCOL = '/trustmesh/audit/1.0.0'
/** A checkpoint is at most 16 KiB; a proof is at most 2*64 hashes of 44 base64 characters. */
export const AUDIT_MAX_BYTES = 64 * 1024
export const AUDIT_MAX_PROOF_HASHES = 128
export const AUDIT_TIMEOUT_MS = 5_000
export const AUDIT_MAX_INBOUND_STREAMS = 8
export const AUDIT_MAX_OUTBOUND_STREAMS = 8

const B64_HASH = /^[A-Za-z0-9+/]{43}=$/

export interface CosignRequest {
  v: 1
  checkpoint: string
  from: number
  proof: string[]
}

export interface CosignReply {
  v: 1
  ok: boolean
  cosigned?: string
  code?: string
  message?: string
  size?: number
}

export const cosignRequestSchema = schemaOf<CosignRequest>('cosignRequest', object({
  v: literal(1),
  checkpoint: str(16 * 1024),
  from: int(0, Number.MAX_SAFE_INTEGER),
  proof: arrayOf(str(44, { pattern: B64_HASH }), AUDIT_MAX_PROOF_HASHES)
}))

export const cosignReplySchema = schemaOf<CosignReply>('cosignReply', object({
  v: literal(1),
  ok: bool(),
  cosigned: str(16 * 1024, { optional: true }),
  code: str(64, { optional: true }),
  message: str(1024, { optional: true }),
  size: int(0, Number.MAX_SAFE_INTEGER, { optional: true })
}))
