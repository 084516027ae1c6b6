/**
 * Successor records: an org key names its replacement. A JWT (typ `trustmesh-successor+jwt`) signed by
 * the old org key, `{ iss: <old DID>, sub: <new DID>, iat, succession: 1 }`, and countersigned by the
 * new key (`nsig`: its signature over `<old DID>\n<new DID>\n<iat>`), so no one can name a key they do
 * not hold as their successor. After the record's `iat` the old key is retired: anything it signs
 * later is refused with KEY_RETIRED; what it signed before stays valid until it expires or is revoked.
 */
import { isDidKey } from './did-key.js'
import { decodeJwt, signJwt, verifyJwtSignature } from './jwt.js'
import { verifyEd25519 } from './native-ed25519.js'
import { publicKeyFromDidKey } from './did-key.js'
import type { Clock } from './clock.js'
import type { Signer } from './signer.js'
import { fail, ok, type Result } from './result.js'

export const SUCCESSOR_TYP = 'trustmesh-successor+jwt'
export const KEY_RETIRED = 'KEY_RETIRED'
export const INVALID_SUCCESSOR = 'INVALID_SUCCESSOR'

export interface SuccessorRecord {
  oldDid: string
  newDid: string
  /** Seconds: from then on the old key is retired. */
  at: number
  jwt: string
}

function countersignInput (oldDid: string, newDid: string, at: number): Uint8Array {
  return new Uint8Array(Buffer.from(`trustmesh-successor/v1\n${oldDid}\n${newDid}\n${at}`, 'utf8'))
}

export async function issueSuccessorRecord (oldKey: Signer, newKey: Signer, clock: Clock): Promise<string> {
  const at = Math.floor(clock.now() / 1000)
  const nsig = Buffer.from(await newKey.sign(countersignInput(oldKey.did, newKey.did, at))).toString('base64url')
  return await signJwt({ iss: oldKey.did, sub: newKey.did, iat: at, succession: 1, nsig }, oldKey, { typ: SUCCESSOR_TYP })
}

export function verifySuccessorRecord (jwt: unknown): Result<SuccessorRecord> {
  const d = decodeJwt(jwt)
  if (!d.ok) return d
  if (d.value.header.typ !== SUCCESSOR_TYP) return fail(INVALID_SUCCESSOR, `not a successor record (typ ${String(d.value.header.typ)})`)
  const { iss, sub, iat, nsig } = d.value.payload
  if (!isDidKey(iss) || !isDidKey(sub) || iss === sub) return fail(INVALID_SUCCESSOR, 'iss and sub must be two different did:key DIDs')
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) return fail(INVALID_SUCCESSOR, 'iat must be an integer number of seconds')
  const sig = verifyJwtSignature(d.value, iss)
  if (!sig.ok) return sig
  const counter = typeof nsig === 'string' ? Buffer.from(nsig, 'base64url') : Buffer.alloc(0)
  if (counter.length !== 64 || !verifyEd25519(publicKeyFromDidKey(sub), countersignInput(iss, sub, iat), new Uint8Array(counter))) {
    return fail('BAD_SIGNATURE', `the successor ${sub} did not countersign the record`)
  }
  return ok({ oldDid: iss, newDid: sub, at: iat, jwt: jwt as string })
}

/**
 * Is a signature by `issuer`, made at `signedAt` (seconds; undefined when the token does not say),
 * still acceptable? A retired key's signature must predate its retirement, and must say when it was made.
 */
export function checkNotRetired (issuer: string, signedAt: number | undefined, retiredAt: (did: string) => number | undefined, what = 'token'): Result<true> {
  const at = retiredAt(issuer)
  if (at == null) return ok(true)
  if (signedAt != null && signedAt < at) return ok(true)
  return fail(KEY_RETIRED, `${what} signed by ${issuer}, a key retired at ${new Date(at * 1000).toISOString()} (its org rotated to a successor)${signedAt == null ? '; the token does not say when it was signed' : ''}`)
}

/**
 * The view of key rotations that checks need: when a key was retired, and which keys succeeded it.
 * A key and its successors are one org: what the old key issued before its retirement stays its org's.
 */
export interface KeySuccession {
  /** When `did` was retired (seconds), if a successor record names its replacement. */
  retiredAt: (did: string) => number | undefined
  /** The DIDs that succeeded `did`, oldest first (empty when it never rotated). */
  successorsOf: (did: string) => string[]
}

/** The DID an org speaks as now: the last successor of `did`, or `did` itself. */
export function currentDid (succession: KeySuccession | undefined, did: string): string {
  const next = succession?.successorsOf(did) ?? []
  return next.length > 0 ? next[next.length - 1] : did
}

/**
 * The KEY_RETIRED check for a signed JWT record whose issuer is `iss` and whose time of signing is
 * `iat` (else `nbf`): a record that names neither issuer is not subject to it (it is not ours to judge).
 */
export function checkJwtNotRetired (jwt: string, retiredAt: (did: string) => number | undefined, what = 'record'): Result<true> {
  const d = decodeJwt(jwt)
  if (!d.ok) return ok(true)
  const { iss, iat, nbf } = d.value.payload
  if (typeof iss !== 'string') return ok(true)
  const signedAt = typeof iat === 'number' ? iat : typeof nbf === 'number' ? nbf : undefined
  return checkNotRetired(iss, signedAt, retiredAt, what)
}
