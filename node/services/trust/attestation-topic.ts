/**
 * The `/trustmesh/trust/1` record topic: signed TrustAttestations, validated before anything is
 * stored or forwarded (explicit type, claims, issuer an enrolled org, signature, not about the issuer
 * or its own agents, within its lifetime). A record that is invalid for reasons no honest forwarder
 * could miss (forged signature, wrong type, malformed, self-issued by the sender) also counts as
 * misbehaviour of the peer that sent it, besides gossipsub's own penalty for a rejected message.
 */
import { createHash } from 'node:crypto'
import { fail, ok, type Result } from '../../../identity/result.js'
import { RecordTopics, type RecordTopic, type RecordValidationContext } from '../../gossip/index.js'
import { SUBLEVELS } from '../../store/sublevels.js'
import { AttestationErrorCode, verifyAttestation } from '../../../trust/index.js'
import type { HeldAttestation } from './trust-engine.js'

/** Attestations are small; anything bigger is not one. */
export const ATTESTATION_MAX_BYTES = 2048
/** Most attestations pulled from one peer in one sync session. */
export const ATTESTATION_MAX_SYNC_RECORDS = 20_000

/** An attestation about a stranger: of no use here, ignored (not stored, no penalty). */
export const NOT_OUR_PRINCIPAL = 'NOT_OUR_PRINCIPAL'

/** Error codes that only a forger (or a broken implementation) produces. */
const FORGERY_CODES = new Set(['BAD_SIGNATURE', AttestationErrorCode.WRONG_TYPE, AttestationErrorCode.INVALID_CLAIMS, AttestationErrorCode.TTL_TOO_LONG, 'MALFORMED_TOKEN', 'UNSUPPORTED_ALG', 'INVALID_DID'])

export interface AttestationTopicDeps {
  isEnrolledOrg: (did: string) => boolean
  orgOf: (did: string) => string | undefined
  onAccept: (held: HeldAttestation) => Promise<void>
  /** The sender of a record that is evidently forged or self-issued. */
  onMisbehaviour: (fromOrg: string, recordId: string, code: string, message: string) => void
}

/** Stable id of a record: its SHA-256, so the same bytes are one record wherever they come from. */
export function attestationId (record: string): string {
  return createHash('sha256').update(record, 'utf8').digest('base64url')
}

function claimedIssuer (record: string): { iss?: unknown, sub?: unknown } {
  try {
    return JSON.parse(Buffer.from(record.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown, sub?: unknown }
  } catch {
    return {}
  }
}

export function attestationTopic (deps: AttestationTopicDeps): RecordTopic<HeldAttestation> {
  return {
    name: RecordTopics.trust,
    sublevel: SUBLEVELS.trustAttestations,
    maxBytes: ATTESTATION_MAX_BYTES,
    maxRecords: ATTESTATION_MAX_SYNC_RECORDS,
    // an attestation by an org this node has not enrolled is of no use here, but its sender did
    // nothing wrong: partners need not all enrol each other
    ignorable: [AttestationErrorCode.ISSUER_NOT_ENROLLED, NOT_OUR_PRINCIPAL],
    validate: (record: string, vctx: RecordValidationContext): Result<{ id: string, value: HeldAttestation }> => {
      const id = attestationId(record)
      const v = verifyAttestation(record, { isEnrolledOrg: deps.isEnrolledOrg, orgOf: deps.orgOf, clock: { now: () => vctx.now } })
      if (!v.ok) {
        if (vctx.fromOrg != null) {
          const claimed = claimedIssuer(record)
          const selfIssued = v.error.code === AttestationErrorCode.SELF_ATTESTATION && (claimed.iss === vctx.fromOrg || claimed.sub === claimed.iss)
          if (FORGERY_CODES.has(v.error.code) || selfIssued) deps.onMisbehaviour(vctx.fromOrg, id, v.error.code, v.error.message)
        }
        return v
      }
      // only about principals we deal with: this org, an enrolled org, or an agent of one we know of
      const sub = v.value.sub
      if (!deps.isEnrolledOrg(sub) && deps.orgOf(sub) == null) return fail(NOT_OUR_PRINCIPAL, `attestation about ${sub}, a principal this node does not deal with`)
      return ok({ id, value: { id, attestation: v.value, ...(vctx.fromOrg != null ? { fromOrg: vctx.fromOrg } : {}) } })
    },
    issuerOf: (value) => value.attestation.iss,
    onAccept: async (value) => { await deps.onAccept(value) }
  }
}
