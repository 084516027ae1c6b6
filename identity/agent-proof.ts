/**
 * Proofs of possession for the agent API (DESIGN.md section 2b), in the manner of DPoP (RFC 9449):
 * every request carries a JWT signed by the calling agent's key that binds the method, the path
 * (with query), the SHA-256 of the exact body bytes, the node as audience, the time it was issued and
 * a fresh nonce. This module signs and checks one proof; the node keeps the nonces (replay).
 */
import { createHash, randomBytes } from 'node:crypto'
import { decodeJwt, signJwt, verifyJwtSignature } from './jwt.js'
import { parseDidKey } from './did-key.js'
import { fail, ok, type Result } from './result.js'
import type { Signer } from './signer.js'

export const AGENT_PROOF_TYP = 'tm-agent-proof+jwt'
/** HTTP header that carries the proof. */
export const AGENT_PROOF_HEADER = 'tm-agent-proof'
/** A proof is accepted at most this long after it was issued. */
export const AGENT_PROOF_MAX_AGE_S = 60
/** Tolerated clock difference for a proof issued "in the future" (same host: small). */
export const AGENT_PROOF_FUTURE_S = 5

export interface AgentProofRequest {
  method: string
  /** Path and query as sent (`/v1/agent/tasks?x=1`). */
  path: string
  /** Exact body bytes (empty when there is none). */
  body: Uint8Array
  /** The node's identity (its node DID). */
  audience: string
}

export interface VerifiedAgentProof {
  agent: string
  nonce: string
  issuedAt: number
}

export function bodyDigest (body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url')
}

export async function signAgentProof (signer: Signer, req: AgentProofRequest, nowS: number): Promise<string> {
  return await signJwt({
    iss: signer.did,
    aud: req.audience,
    htm: req.method.toUpperCase(),
    htu: req.path,
    bd: bodyDigest(req.body),
    iat: nowS,
    jti: randomBytes(16).toString('base64url')
  }, signer, { typ: AGENT_PROOF_TYP })
}

/** Checks one proof against the request it came with; the caller checks the nonce was not seen. */
export function verifyAgentProof (jwt: unknown, req: AgentProofRequest, nowS: number): Result<VerifiedAgentProof> {
  if (typeof jwt !== 'string' || jwt === '') return fail('PROOF_MISSING', `every agent API request needs a ${AGENT_PROOF_HEADER} header signed by the agent's key`)
  const d = decodeJwt(jwt)
  if (!d.ok) return fail('PROOF_INVALID', `agent proof: ${d.error.message}`)
  const { header, payload } = d.value
  if (header.typ !== AGENT_PROOF_TYP) return fail('PROOF_INVALID', `agent proof typ must be ${AGENT_PROOF_TYP}`)
  const iss = parseDidKey(payload.iss)
  if (!iss.ok) return fail('PROOF_INVALID', `agent proof iss: ${iss.error.message}`)
  const sig = verifyJwtSignature(d.value, payload.iss as string)
  if (!sig.ok) return fail('PROOF_BAD_SIGNATURE', `agent proof: ${sig.error.message}`)
  if (payload.aud !== req.audience) return fail('PROOF_WRONG_AUDIENCE', `agent proof is for ${String(payload.aud).slice(0, 80)}, not this node (${req.audience})`)
  if (payload.htm !== req.method.toUpperCase() || payload.htu !== req.path) return fail('PROOF_WRONG_REQUEST', `agent proof was signed for ${String(payload.htm)} ${String(payload.htu).slice(0, 200)}, not ${req.method} ${req.path}`)
  if (payload.bd !== bodyDigest(req.body)) return fail('PROOF_WRONG_BODY', 'agent proof does not match the request body (sha-256 differs)')
  const iat = payload.iat
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat)) return fail('PROOF_INVALID', 'agent proof iat must be an integer')
  if (iat > nowS + AGENT_PROOF_FUTURE_S) return fail('PROOF_FROM_FUTURE', `agent proof issued at ${iat}, in the future (now ${nowS})`)
  if (iat < nowS - AGENT_PROOF_MAX_AGE_S) return fail('PROOF_EXPIRED', `agent proof issued at ${iat} is more than ${AGENT_PROOF_MAX_AGE_S} s old (now ${nowS})`)
  const jti = payload.jti
  if (typeof jti !== 'string' || jti.length < 16 || jti.length > 128) return fail('PROOF_INVALID', 'agent proof jti must be a nonce of 16..128 characters')
  return ok({ agent: payload.iss as string, nonce: jti, issuedAt: iat })
}
