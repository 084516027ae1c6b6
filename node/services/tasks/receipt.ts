/**
 * Task receipts: a JWT signed by the node that ran (or refused) the task, naming the invocation CID,
 * the outcome, the reason code and the duration. Receipts are the only first-hand trust evidence.
 */
import { decodeJwt, signJwt, verifyJwtSignature } from '../../../identity/jwt.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { Signer } from '../../../identity/signer.js'
import { parseDidKey } from '../../../identity/did-key.js'

export const RECEIPT_TYP = 'trustmesh-receipt+jwt'
export type TaskOutcome = 'ok' | 'error' | 'denied' | 'pending'
const OUTCOMES = new Set(['ok', 'error', 'denied', 'pending'])

export interface ReceiptClaims {
  /** The executing node's did:key (signer). */
  iss: string
  /** Org DID of the executing node. */
  org: string
  /** CID of the invocation. */
  inv: string
  /** The executing agent (the invocation's audience) and the invoker. */
  executor: string
  invoker: string
  outcome: TaskOutcome
  code: string
  /** Milliseconds from arrival to outcome. */
  durationMs: number
  iat: number
  /** Approval id when pending. */
  approval?: string
}

/**
 * Receipts whose signature is known good, by their exact text: the ones this node signed and the
 * ones it verified. A receipt is checked by the task path and again when it becomes trust evidence;
 * the second signature check of the same bytes was ~7% of a node's CPU per task (B12 profile). The
 * decode and every claim check still run each time.
 */
const goodSignatures = new Set<string>()
const MAX_GOOD_SIGNATURES = 4096
function rememberGood (jwt: string): void {
  if (goodSignatures.size >= MAX_GOOD_SIGNATURES) goodSignatures.delete(goodSignatures.values().next().value as string)
  goodSignatures.add(jwt)
}

export async function issueReceipt (nodeSigner: Signer, claims: Omit<ReceiptClaims, 'iss'>): Promise<string> {
  const jwt = await signJwt({ ...claims, iss: nodeSigner.did }, nodeSigner, { typ: RECEIPT_TYP })
  rememberGood(jwt)
  return jwt
}

/** Verify a receipt's signature and shape; `expectedNode` pins the signer when known. */
export function verifyReceipt (jwt: unknown, opts: { expectedInvocation?: string, expectedNode?: string } = {}): Result<ReceiptClaims> {
  const d = decodeJwt(jwt)
  if (!d.ok) return d
  if (d.value.header.typ !== RECEIPT_TYP) return fail('INVALID_RECEIPT', `receipt typ must be ${RECEIPT_TYP}`)
  const p = d.value.payload as Partial<ReceiptClaims>
  if (typeof p.iss !== 'string' || !parseDidKey(p.iss).ok) return fail('INVALID_RECEIPT', 'receipt iss is not a did:key')
  if (!goodSignatures.has(jwt as string)) {
    const sig = verifyJwtSignature(d.value, p.iss)
    if (!sig.ok) return sig
    rememberGood(jwt as string)
  }
  if (typeof p.org !== 'string' || typeof p.inv !== 'string' || typeof p.executor !== 'string' || typeof p.invoker !== 'string' ||
    typeof p.code !== 'string' || typeof p.durationMs !== 'number' || typeof p.iat !== 'number' || !OUTCOMES.has(p.outcome as string)) {
    return fail('INVALID_RECEIPT', 'receipt claims are incomplete')
  }
  if (opts.expectedInvocation != null && p.inv !== opts.expectedInvocation) return fail('INVALID_RECEIPT', 'receipt names another invocation')
  if (opts.expectedNode != null && p.iss !== opts.expectedNode) return fail('INVALID_RECEIPT', 'receipt signed by an unexpected node')
  return ok(p as ReceiptClaims)
}
