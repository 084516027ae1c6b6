/**
 * Issue and verify AgentCredential and NodeCredential VC-JWTs (DESIGN.md section 2). Issuing goes
 * through did-jwt `createJWT` with an EdDSA adapter over our Signer. `verifyCredential` is the
 * native hot path (strict decode, cached node:crypto Ed25519 keys); `verifyCredentialDidJwt` checks
 * the same token with did-jwt and the key-only resolver. Both share the strict decode and the claim
 * checks, so they accept and reject the same tokens with the same reason codes.
 */
import { randomUUID } from 'node:crypto'
import { nowSeconds } from './clock.js'
import { parseDidKey } from './did-key.js'
import { decodeJwt, verifyJwtSignature } from './jwt.js'
import { publicKeyFromPeerIdString } from './peer-id.js'
import { fail, type Result } from './result.js'
import type { Signer } from './signer.js'
import { didJwtSigner } from './did-jwt-signer.js'
import { checkAgentSubject, checkCredentialClaims, checkNodeSubject, checkTimeClaimShapes, isValidName, resolveSkew } from './credential-claims.js'
import {
  AGENT_CREDENTIAL, CREDENTIALS_V1_CONTEXT, CredentialError, CredentialErrorCode, MAX_JTI_LENGTH, NODE_CREDENTIAL,
  type AgentCredentialClaims, type IssueOptions, type NodeCredentialClaims, type VerifiedAgentCredential,
  type VerifiedCredential, type VerifiedNodeCredential, type VerifyCredentialOptions
} from './credential-types.js'

export * from './credential-types.js'
export { verifyCredentialDidJwt } from './credential-did-jwt.js'

function times (options: IssueOptions): { iat: number, nbf: number, exp: number } {
  if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
    throw new CredentialError(CredentialErrorCode.INVALID_CLAIMS, `ttlSeconds must be a positive integer, got ${options.ttlSeconds}`)
  }
  const iat = nowSeconds(options.clock)
  const nbf = options.notBefore ?? iat
  if (!Number.isSafeInteger(nbf) || nbf <= 0) throw new CredentialError(CredentialErrorCode.INVALID_CLAIMS, 'notBefore must be a positive integer (seconds)')
  return { iat, nbf, exp: nbf + options.ttlSeconds }
}

function jtiOf (options: IssueOptions): string {
  const jti = options.jti ?? `urn:uuid:${randomUUID()}`
  if (jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw new CredentialError(CredentialErrorCode.INVALID_CLAIMS, 'jti must be 1..256 characters')
  return jti
}

async function issue (orgSigner: Signer, type: string, subject: Record<string, unknown>, options: IssueOptions): Promise<string> {
  const payload = {
    ...times(options),
    sub: subject.id as string,
    jti: jtiOf(options),
    vc: { '@context': [CREDENTIALS_V1_CONTEXT], type: ['VerifiableCredential', type], credentialSubject: subject }
  }
  // loaded on first use: issuing is rare, and did-jwt's curve libraries cost memory in every node
  const { createJWT } = await import('did-jwt')
  return await createJWT(payload, { issuer: orgSigner.did, signer: didJwtSigner(orgSigner), alg: 'EdDSA' }, { alg: 'EdDSA', typ: 'JWT' })
}

/** Sign an AgentCredential for `claims.agentDid` with the org's root key. Throws CredentialError on bad claims. */
export async function issueAgentCredential (orgSigner: Signer, claims: AgentCredentialClaims, options: IssueOptions): Promise<string> {
  const subject = { id: claims.agentDid, name: claims.name, ring: claims.ring, capabilities: [...claims.capabilities], org: orgSigner.did }
  const check = checkAgentSubject(subject, orgSigner.did)
  if (!check.ok) throw new CredentialError(check.error.code, check.error.message)
  return await issue(orgSigner, AGENT_CREDENTIAL, subject, options)
}

/** Sign a NodeCredential binding `claims.peerId` to the org DID. Throws CredentialError on bad claims. */
export async function issueNodeCredential (orgSigner: Signer, claims: NodeCredentialClaims, options: IssueOptions): Promise<string> {
  const subject = { id: claims.peerId, org: orgSigner.did, orgName: claims.orgName, ...(claims.replaces != null && claims.replaces.length > 0 ? { replaces: claims.replaces } : {}) }
  const pk = publicKeyFromPeerIdString(claims.peerId)
  if (!pk.ok) throw new CredentialError(pk.error.code, pk.error.message)
  if (!isValidName(claims.orgName)) throw new CredentialError(CredentialErrorCode.INVALID_CLAIMS, 'orgName must be 1..128 characters without control characters')
  const check = checkNodeSubject(subject, orgSigner.did)
  if (!check.ok) throw new CredentialError(check.error.code, check.error.message)
  return await issue(orgSigner, NODE_CREDENTIAL, subject, options)
}

/**
 * Native verification (hot path). Order: strict decode and alg, time claim shapes, issuer DID,
 * signature, validity window, jti, expected issuer, type, subject.
 */
export function verifyCredential (jwt: unknown, options: VerifyCredentialOptions & { expectedType: typeof AGENT_CREDENTIAL }): Result<VerifiedAgentCredential>
export function verifyCredential (jwt: unknown, options: VerifyCredentialOptions & { expectedType: typeof NODE_CREDENTIAL }): Result<VerifiedNodeCredential>
export function verifyCredential (jwt: unknown, options: VerifyCredentialOptions): Result<VerifiedCredential>
export function verifyCredential (jwt: unknown, options: VerifyCredentialOptions): Result<VerifiedCredential> {
  resolveSkew(options)
  const decoded = decodeJwt(jwt, { allowEd25519Alias: options.allowEd25519Alias === true })
  if (!decoded.ok) return decoded
  const { payload } = decoded.value
  const shapes = checkTimeClaimShapes(payload)
  if (!shapes.ok) return shapes
  const iss = parseDidKey(payload.iss)
  if (!iss.ok) return fail(iss.error.code, `iss: ${iss.error.message}`)
  const sig = verifyJwtSignature(decoded.value, payload.iss as string)
  if (!sig.ok) return sig
  return checkCredentialClaims(payload, decoded.value.token, nowSeconds(options.clock), options)
}

export function verifyAgentCredential (jwt: unknown, options: Omit<VerifyCredentialOptions, 'expectedType'>): Result<VerifiedAgentCredential> {
  return verifyCredential(jwt, { ...options, expectedType: AGENT_CREDENTIAL })
}

export function verifyNodeCredential (jwt: unknown, options: Omit<VerifyCredentialOptions, 'expectedType'>): Result<VerifiedNodeCredential> {
  return verifyCredential(jwt, { ...options, expectedType: NODE_CREDENTIAL })
}
