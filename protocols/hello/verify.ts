/**
 * The check a node applies to a peer's hello: the NodeCredential is valid now, issued by an org this
 * node has enrolled, and its subject is exactly the PeerId the peer authenticated with over Noise.
 * Pure apart from the injected lookups, so every refusal path is testable without a network.
 */
import { checkNotRetired } from '../../identity/successor-record.js'
import { decodeJwt } from '../../identity/jwt.js'
import { verifyNodeCredential } from '../../identity/credentials.js'
import { fail, ok, type Result } from '../../identity/result.js'
import type { Clock } from '../../identity/clock.js'
import type { HelloMessage } from './messages.js'

export const HelloErrorCode = {
  ORG_NOT_ENROLLED: 'ORG_NOT_ENROLLED',
  PEER_ID_MISMATCH: 'PEER_ID_MISMATCH',
  ORG_MISMATCH: 'ORG_MISMATCH',
  SPIFFE_REQUIRED: 'SPIFFE_REQUIRED'
} as const

export interface EnrolledOrgView {
  orgDid: string
  name?: string
  /** When set, the peer must present an SVID that validates against this enrolment. */
  spiffe?: unknown
}

export interface VerifiedHello {
  orgDid: string
  orgName: string
  peerId: string
  software: string
  policyDigest: string
  credentialExpiresAt: number
  /** Seconds: when the NodeCredential was issued (from then on the PeerIds it replaces are retired). */
  credentialIssuedAt?: number
  /** PeerIds of the node's earlier keys, retired by its org (node key rotation). */
  replaces?: string[]
  spiffeId?: string
}

export interface VerifyHelloOptions {
  remotePeerId: string
  clock: Clock
  enrolledOrg: (orgDid: string) => EnrolledOrgView | undefined
  /** Validates the SPIFFE part when the enrolment requires it; returns the SPIFFE ID. */
  verifySpiffe?: (hello: HelloMessage, enrolment: EnrolledOrgView, peerId: string) => Result<string>
  /** When an org key was retired by a successor record (seconds); its later NodeCredentials are KEY_RETIRED. */
  retiredAt?: (did: string) => number | undefined
  /** A node PeerId its org retired by a node key rotation is refused (KEY_RETIRED). */
  peerRetired?: (peerId: string, orgDid: string) => Result<true>
}

export function verifyHello (hello: HelloMessage, opts: VerifyHelloOptions): Result<VerifiedHello> {
  const decoded = decodeJwt(hello.nodeCredential)
  if (!decoded.ok) return decoded
  const iss = decoded.value.payload.iss
  if (typeof iss !== 'string') return fail('INVALID_CLAIMS', 'NodeCredential has no issuer')
  const enrolment = opts.enrolledOrg(iss)
  if (enrolment == null) return fail(HelloErrorCode.ORG_NOT_ENROLLED, `org ${iss} is not enrolled on this node (trustmesh peer add ${iss})`)
  const cred = verifyNodeCredential(hello.nodeCredential, { clock: opts.clock, expectedIssuer: iss })
  if (!cred.ok) return cred
  if (opts.retiredAt != null) {
    const live = checkNotRetired(iss, cred.value.issuedAt, opts.retiredAt, 'NodeCredential')
    if (!live.ok) return live
  }
  if (cred.value.subject.id !== opts.remotePeerId) {
    return fail(HelloErrorCode.PEER_ID_MISMATCH, `NodeCredential names PeerId ${cred.value.subject.id} but the connection authenticated ${opts.remotePeerId}`)
  }
  if (cred.value.subject.org !== iss) return fail(HelloErrorCode.ORG_MISMATCH, 'NodeCredential subject org differs from its issuer')
  if (opts.peerRetired != null) {
    const live = opts.peerRetired(opts.remotePeerId, iss)
    if (!live.ok) return live
  }
  let spiffeId: string | undefined
  if (enrolment.spiffe != null) {
    if (hello.spiffe == null || opts.verifySpiffe == null) return fail(HelloErrorCode.SPIFFE_REQUIRED, `org ${iss} is enrolled with a SPIFFE bundle but the peer presented no SVID`)
    const s = opts.verifySpiffe(hello, enrolment, opts.remotePeerId)
    if (!s.ok) return s
    spiffeId = s.value
  }
  return ok({
    orgDid: iss,
    orgName: cred.value.subject.orgName,
    peerId: opts.remotePeerId,
    software: hello.software,
    policyDigest: hello.policyDigest,
    credentialExpiresAt: cred.value.expiresAt,
    credentialIssuedAt: cred.value.issuedAt,
    ...(cred.value.subject.replaces != null ? { replaces: [...cred.value.subject.replaces] } : {}),
    ...(spiffeId != null ? { spiffeId } : {})
  })
}
