/**
 * The two halves hello needs: `presentSvid` builds what a node sends (its SVID chain plus the org's
 * binding to this PeerId), `verifyPeerSvid` checks what a partner sent: the SVID against THAT
 * partner's bundle, then the binding against the partner's org DID and the Noise-authenticated PeerId.
 * The PeerId in the binding is what stops a replayed SVID+binding from another connection.
 */
import type { Signer } from '../../../identity/signer.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { TrustBundle } from './bundle-file.js'
import { issueSvidBinding, verifySvidBinding } from './svid-binding.js'
import { validateX509Svid, SvidErrorCode, MAX_SVID_CHAIN, type ValidatedSvid } from './validate-svid.js'
import type { X509Svid } from './x509-svid.js'

export interface PresentedSvid {
  /** base64 DER certificates, leaf first. */
  readonly chain: readonly string[]
  /** JWT from issueSvidBinding. */
  readonly binding: string
}

export interface VerifyPeerSvidExpect {
  /** The partner's bundle, as enrolled out of band. */
  readonly bundle: TrustBundle
  /** The partner node's enrolled SPIFFE ID, when enrolment recorded one. */
  readonly expectedSpiffeId?: string
  readonly orgDid: string
  /** The PeerId the connection is authenticated as. */
  readonly peerId: string
  /** Milliseconds since the epoch. */
  readonly now: number
}

/** Build the hello payload part for this node's current SVID. */
export async function presentSvid (org: Signer, svid: X509Svid, peerId: string, nowMs: number): Promise<PresentedSvid> {
  const issuedAt = Math.floor(nowMs / 1000)
  const binding = await issueSvidBinding(org, {
    spiffeId: svid.spiffeId,
    peerId,
    leaf: svid.chain[0],
    issuedAt,
    expiresAt: Math.max(issuedAt + 1, Math.floor(svid.notAfter / 1000))
  })
  return { chain: svid.chain.map(c => Buffer.from(c).toString('base64')), binding }
}

/** Check a partner's presented SVID and binding. Untrusted input: shape is checked first. */
export function verifyPeerSvid (presented: unknown, expect: VerifyPeerSvidExpect): Result<ValidatedSvid> {
  const p = presented as Partial<PresentedSvid> | null
  if (p == null || typeof p !== 'object' || !Array.isArray(p.chain) || typeof p.binding !== 'string' ||
    p.chain.length === 0 || p.chain.length > MAX_SVID_CHAIN || !p.chain.every(c => typeof c === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(c))) {
    return fail(SvidErrorCode.MALFORMED, 'presented SVID must be { chain: base64 DER[] (1..8), binding: string }')
  }
  const chain = p.chain.map(c => new Uint8Array(Buffer.from(c, 'base64')))
  const svid = validateX509Svid(chain, expect.bundle.certs, {
    trustDomain: expect.bundle.trustDomain,
    ...(expect.expectedSpiffeId !== undefined ? { expectedSpiffeId: expect.expectedSpiffeId } : {}),
    now: expect.now
  })
  if (!svid.ok) return svid
  const binding = verifySvidBinding(p.binding, { orgDid: expect.orgDid, peerId: expect.peerId, leaf: chain[0], spiffeId: svid.value.spiffeId, now: expect.now })
  if (!binding.ok) return binding
  return ok(svid.value)
}
