/**
 * Types, reason codes and limits of the two credentials an org issues: AgentCredential (an agent's
 * did:key, ring and root capabilities) and NodeCredential (a node's PeerId bound to the org DID).
 */
import type { Clock } from './clock.js'
import { MAX_ABILITY_LENGTH } from './ability.js'

export const CREDENTIALS_V1_CONTEXT = 'https://www.w3.org/2018/credentials/v1'
export const AGENT_CREDENTIAL = 'AgentCredential'
export const NODE_CREDENTIAL = 'NodeCredential'
export type CredentialType = typeof AGENT_CREDENTIAL | typeof NODE_CREDENTIAL

/** DESIGN.md section 2: clock skew at most 60 s. */
export const MAX_SKEW_SECONDS = 60
export const DEFAULT_SKEW_SECONDS = 60
export const MAX_NAME_LENGTH = 128
export const MAX_JTI_LENGTH = 256
export const MAX_CAPABILITIES = 64
/** An AgentCredential capability is a grant pattern of the one ability grammar (identity/ability.ts). */
export { MAX_ABILITY_LENGTH }

/**
 * Stable reason codes of credential verification. DID parsing failures keep the codes of
 * did-key.ts (`INVALID_DID`, `UNSUPPORTED_DID_METHOD`, `INVALID_MULTIBASE`, `UNSUPPORTED_KEY_TYPE`,
 * `INVALID_PUBLIC_KEY_LENGTH`) and PeerId failures those of peer-id.ts (`INVALID_PEER_ID`, ...).
 */
export const CredentialErrorCode = {
  MALFORMED_TOKEN: 'MALFORMED_TOKEN',
  TOKEN_TOO_LARGE: 'TOKEN_TOO_LARGE',
  UNSUPPORTED_ALG: 'UNSUPPORTED_ALG',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  MISSING_EXP: 'MISSING_EXP',
  EXPIRED: 'EXPIRED',
  NOT_YET_VALID: 'NOT_YET_VALID',
  ISSUED_IN_FUTURE: 'ISSUED_IN_FUTURE',
  MISSING_JTI: 'MISSING_JTI',
  WRONG_ISSUER: 'WRONG_ISSUER',
  WRONG_TYPE: 'WRONG_TYPE',
  INVALID_CLAIMS: 'INVALID_CLAIMS',
  /** did-jwt failed for a reason the native path has no name for; still a rejection. */
  VERIFICATION_FAILED: 'VERIFICATION_FAILED'
} as const

/** Thrown by the issuing functions for bad input (never by verification, which returns a Result). */
export class CredentialError extends Error {
  override readonly name = 'CredentialError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

export interface AgentCredentialSubject {
  /** The agent's did:key. */
  readonly id: string
  readonly name: string
  /** 1 (high impact) .. 3 (read-only); ring 0 is never held by an agent. */
  readonly ring: 1 | 2 | 3
  /** Root abilities, e.g. `records/read`, `orders/*`. */
  readonly capabilities: readonly string[]
  /** The issuing org's DID (equals `iss`). */
  readonly org: string
}

export interface NodeCredentialSubject {
  /** The node's libp2p PeerId string. */
  readonly id: string
  readonly org: string
  readonly orgName: string
  /** PeerIds of this node's earlier keys (node key rotation): refused from the credential's iat on. */
  readonly replaces?: readonly string[]
}

interface VerifiedCredentialCommon {
  readonly jwt: string
  /** The org DID that signed it. */
  readonly issuer: string
  readonly jti: string
  readonly issuedAt: number
  readonly notBefore?: number
  readonly expiresAt: number
  /** Raw Ed25519 key of the subject (from its did:key or PeerId). */
  readonly subjectPublicKey: Uint8Array
}

export interface VerifiedAgentCredential extends VerifiedCredentialCommon {
  readonly type: typeof AGENT_CREDENTIAL
  readonly subject: AgentCredentialSubject
}

export interface VerifiedNodeCredential extends VerifiedCredentialCommon {
  readonly type: typeof NODE_CREDENTIAL
  readonly subject: NodeCredentialSubject
}

export type VerifiedCredential = VerifiedAgentCredential | VerifiedNodeCredential

export interface VerifyCredentialOptions {
  clock: Clock
  /** Org DID (or DIDs) the credential must be issued by. */
  expectedIssuer?: string | readonly string[]
  expectedType?: CredentialType
  /** 0..60, default 60. */
  skewSeconds?: number
  /** Accept the legacy `alg: Ed25519` spelling. Off by default. */
  allowEd25519Alias?: boolean
}

export interface IssueOptions {
  clock: Clock
  /** Lifetime in seconds from now (or from `notBefore`); required, positive integer. */
  ttlSeconds: number
  /** Seconds since the epoch; default: now. */
  notBefore?: number
  /** Default: a random `urn:uuid:`. */
  jti?: string
}

export interface AgentCredentialClaims {
  agentDid: string
  name: string
  ring: number
  capabilities: readonly string[]
}

export interface NodeCredentialClaims {
  /** The node's PeerId string. */
  peerId: string
  orgName: string
  /** PeerIds of the node's earlier keys that this one replaces (node key rotation). */
  replaces?: string[]
}
