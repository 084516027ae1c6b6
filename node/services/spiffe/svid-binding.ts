/**
 * The SVID binding: a JWT signed by the org root key saying "this SPIFFE ID, presented with this leaf
 * certificate, is our node with this PeerId". It ties the SPIFFE identity of the node process to the
 * org DID, so a valid SVID from the partner's trust domain cannot be replayed by another peer or for
 * another org. It grants no authority; agent authority flows only through credentials and delegations.
 */
import { createHash } from 'node:crypto'
import { decodeJwt, signJwt, verifyJwtSignature } from '../../../identity/jwt.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { Signer } from '../../../identity/signer.js'
import { parseSpiffeId } from './spiffe-id.js'

export const SVID_BINDING_TYPE = 'trustmesh/svid-binding/1'

export const SvidBindingErrorCode = {
  MALFORMED: 'SVID_BINDING_MALFORMED',
  WRONG_ORG: 'SVID_BINDING_WRONG_ORG',
  WRONG_PEER: 'SVID_BINDING_WRONG_PEER',
  WRONG_LEAF: 'SVID_BINDING_WRONG_LEAF',
  WRONG_SPIFFE_ID: 'SVID_BINDING_WRONG_SPIFFE_ID',
  EXPIRED: 'SVID_BINDING_EXPIRED',
  NOT_YET_VALID: 'SVID_BINDING_NOT_YET_VALID'
} as const

export interface SvidBinding {
  readonly spiffeId: string
  readonly orgDid: string
  readonly peerId: string
  /** Lower-case hex SHA-256 of the leaf certificate DER. */
  readonly leafCertSha256: string
  /** Seconds since the epoch. */
  readonly iat: number
  readonly exp: number
}

export interface IssueSvidBindingInput {
  readonly spiffeId: string
  readonly peerId: string
  /** The leaf certificate DER (or its hex SHA-256). */
  readonly leaf: Uint8Array | string
  /** Seconds since the epoch; usually now. */
  readonly issuedAt: number
  /** Seconds since the epoch; at most the leaf's notAfter. */
  readonly expiresAt: number
}

export interface VerifySvidBindingExpect {
  readonly orgDid: string
  readonly peerId: string
  /** The leaf certificate DER the peer presented (or its hex SHA-256). */
  readonly leaf: Uint8Array | string
  /** When given, the binding must name exactly this SPIFFE ID (the one the SVID validated to). */
  readonly spiffeId?: string
  /** Milliseconds since the epoch; when given, iat/exp are checked. */
  readonly now?: number
}

const HEX64 = /^[0-9a-f]{64}$/

export function leafSha256 (leaf: Uint8Array | string): string {
  return typeof leaf === 'string' ? leaf.toLowerCase() : createHash('sha256').update(leaf).digest('hex')
}

/** Sign a binding with the org signer (its DID is the org DID). */
export async function issueSvidBinding (org: Signer, input: IssueSvidBindingInput): Promise<string> {
  const id = parseSpiffeId(input.spiffeId)
  if (!id.ok) throw new TypeError(id.error.message)
  const leaf = leafSha256(input.leaf)
  if (!HEX64.test(leaf)) throw new TypeError('leaf must be DER bytes or a 64-character hex SHA-256')
  if (!Number.isInteger(input.issuedAt) || !Number.isInteger(input.expiresAt) || input.expiresAt <= input.issuedAt) {
    throw new TypeError('issuedAt/expiresAt must be integer seconds with expiresAt after issuedAt')
  }
  return await signJwt({
    typ: SVID_BINDING_TYPE,
    iss: org.did,
    sub: id.value.id,
    spiffeId: id.value.id,
    orgDid: org.did,
    peerId: input.peerId,
    leafCertSha256: leaf,
    iat: input.issuedAt,
    exp: input.expiresAt
  }, org)
}

/** Verify a binding against what the connection actually shows. */
export function verifySvidBinding (jwt: unknown, expect: VerifySvidBindingExpect): Result<SvidBinding> {
  const decoded = decodeJwt(jwt)
  if (!decoded.ok) return decoded
  const p = decoded.value.payload
  if (p.typ !== SVID_BINDING_TYPE) return fail(SvidBindingErrorCode.MALFORMED, `binding typ is ${JSON.stringify(p.typ)}, expected ${SVID_BINDING_TYPE}`)
  const { iss, orgDid, peerId, spiffeId, leafCertSha256, iat, exp, sub } = p
  if (typeof iss !== 'string' || typeof orgDid !== 'string' || typeof peerId !== 'string' || typeof spiffeId !== 'string' ||
    typeof leafCertSha256 !== 'string' || typeof iat !== 'number' || typeof exp !== 'number' || !Number.isInteger(iat) || !Number.isInteger(exp)) {
    return fail(SvidBindingErrorCode.MALFORMED, 'binding lacks iss, orgDid, peerId, spiffeId, leafCertSha256, iat or exp')
  }
  if (iss !== orgDid || sub !== spiffeId) return fail(SvidBindingErrorCode.MALFORMED, 'binding iss/orgDid or sub/spiffeId disagree')
  if (!HEX64.test(leafCertSha256)) return fail(SvidBindingErrorCode.MALFORMED, 'binding leafCertSha256 is not lower-case hex SHA-256')
  if (!parseSpiffeId(spiffeId).ok) return fail(SvidBindingErrorCode.MALFORMED, `binding spiffeId ${JSON.stringify(spiffeId)} is not a SPIFFE ID`)
  if (orgDid !== expect.orgDid) return fail(SvidBindingErrorCode.WRONG_ORG, `binding is issued by ${orgDid}, expected ${expect.orgDid}`)
  // signature before any claim that only matters if the issuer really said it
  const sig = verifyJwtSignature(decoded.value, expect.orgDid)
  if (!sig.ok) return sig
  if (peerId !== expect.peerId) return fail(SvidBindingErrorCode.WRONG_PEER, `binding names peer ${peerId}, connection is from ${expect.peerId}`)
  if (leafCertSha256 !== leafSha256(expect.leaf)) return fail(SvidBindingErrorCode.WRONG_LEAF, 'binding names a different leaf certificate than the one presented')
  if (expect.spiffeId !== undefined && spiffeId !== expect.spiffeId) {
    return fail(SvidBindingErrorCode.WRONG_SPIFFE_ID, `binding names ${spiffeId}, the SVID is ${expect.spiffeId}`)
  }
  if (expect.now !== undefined) {
    const nowS = Math.floor(expect.now / 1000)
    if (nowS < iat) return fail(SvidBindingErrorCode.NOT_YET_VALID, `binding issued in the future (${iat})`)
    if (nowS >= exp) return fail(SvidBindingErrorCode.EXPIRED, `binding expired at ${new Date(exp * 1000).toISOString()}`)
  }
  return ok({ spiffeId, orgDid, peerId, leafCertSha256, iat, exp })
}
