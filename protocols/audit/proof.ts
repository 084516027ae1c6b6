/**
 * audit-proof (`/trustmesh/audit-proof/1.0.0`): a witness that saw two checkpoints of one log at
 * different sizes asks the log owner for the consistency proof between them. One request, one reply:
 *
 *   witness -> owner  { v: 1, from, to }
 *   owner -> witness  { v: 1, ok: true, proof }  |  { v: 1, ok: false, code, message }
 *
 * The reply is untrusted: the witness checks the proof against the two signed roots it holds, and a
 * refusal, a timeout or a proof that fails is reported as INCONSISTENT (a split view).
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from '../../identity/logger.js'
import { arrayOf, bool, int, literal, object, schemaOf, str } from '../schema.js'
import { requestReply, serveRequest, signalOrTimeout, streamFor, type StreamTarget } from '../request-response.js'
import { AUDIT_MAX_BYTES, AUDIT_MAX_PROOF_HASHES, AUDIT_TIMEOUT_MS } from './messages.js'

export const AUDIT_PROOF_PROTOCOL = '/trustmesh/audit-proof/1.0.0'

export interface ProofRequest { v: 1, from: number, to: number }
export interface ProofReply { v: 1, ok: boolean, proof?: string[], code?: string, message?: string }

const B64_HASH = /^[A-Za-z0-9+/]{43}=$/

export const proofRequestSchema = schemaOf<ProofRequest>('auditProofRequest', object({
  v: literal(1),
  from: int(1, Number.MAX_SAFE_INTEGER),
  to: int(1, Number.MAX_SAFE_INTEGER)
}))

export const proofReplySchema = schemaOf<ProofReply>('auditProofReply', object({
  v: literal(1),
  ok: bool(),
  proof: arrayOf(str(44, { pattern: B64_HASH }), AUDIT_MAX_PROOF_HASHES, { optional: true }),
  code: str(64, { optional: true }),
  message: str(1024, { optional: true })
}))

/** The witness's end: ask the owner behind `target` for a proof from `from` to `to`. */
export async function requestConsistencyProof (target: StreamTarget, request: ProofRequest, options: { signal?: AbortSignal } = {}): Promise<ProofReply> {
  const signal = signalOrTimeout(options.signal, AUDIT_TIMEOUT_MS)
  const stream = await streamFor(target, AUDIT_PROOF_PROTOCOL, signal)
  return await requestReply(stream, AUDIT_MAX_BYTES, request, proofReplySchema, signal)
}

/** The owner's end: answer from its own log (`prove` returns undefined for sizes it cannot prove). */
export function createProofHandler (components: { prove: (from: number, to: number) => Promise<Uint8Array[] | undefined>, logger: Pick<Logger, 'warn'> }): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const served = await serveRequest(stream, AUDIT_MAX_BYTES, proofRequestSchema, AUDIT_TIMEOUT_MS, async (req): Promise<ProofReply> => {
      if (req.from >= req.to) return { v: 1, ok: false, code: 'BAD_RANGE', message: 'from must be smaller than to' }
      const proof = await components.prove(req.from, req.to)
      return proof == null
        ? { v: 1, ok: false, code: 'UNKNOWN_SIZE', message: `no tree of size ${req.to} here` }
        : { v: 1, ok: true, proof: proof.map(h => Buffer.from(h).toString('base64')) }
    })
    if (!served.ok) components.logger.warn('bad audit proof stream', { peer: connection.remotePeer.toString(), error: served.error.message })
  }
}
