/**
 * Checkpoints in the C2SP tlog-checkpoint format, carried in a C2SP signed note:
 *
 *   <origin>\n<tree size, decimal>\n<base64 root hash>\n[extension lines\n]\n
 *   — <key name> <base64(key id || Ed25519 signature)>\n   (one line per signature)
 *
 * The signed message is the note text (every line above the blank line, each ending in \n). The key
 * id is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key), 0x01 being the signed-note
 * Ed25519 algorithm byte. The node signs with key name = origin (`trustmesh/<node DID>`); a witness
 * cosigns by adding a plain Ed25519 note signature under its own name (not the timestamped
 * tlog-cosignature/v1 form). Parsing is strict: one spelling per checkpoint, or it is refused.
 */
import { createHash } from 'node:crypto'
import { fail, ok, type Result } from '../identity/result.js'
import { parseDidKey } from '../identity/did-key.js'
import { verifyEd25519 } from '../identity/native-ed25519.js'
import type { Signer } from '../identity/signer.js'
import { HASH_SIZE } from './merkle.js'

export const CheckpointErrorCode = {
  MALFORMED_CHECKPOINT: 'MALFORMED_CHECKPOINT',
  ORIGIN_MISMATCH: 'ORIGIN_MISMATCH',
  BAD_CHECKPOINT_SIGNATURE: 'BAD_CHECKPOINT_SIGNATURE',
  BAD_COSIGNATURE: 'BAD_COSIGNATURE',
  MISSING_COSIGNATURE: 'MISSING_COSIGNATURE'
} as const

export const MAX_CHECKPOINT_BYTES = 16 * 1024
export const MAX_SIGNATURES = 64
const ALG_ED25519 = 0x01
const DASH = '\u2014 '

export interface CheckpointBody {
  readonly origin: string
  readonly size: number
  readonly root: Uint8Array
}

export interface NoteSignature {
  readonly name: string
  readonly keyId: Uint8Array
  readonly signature: Uint8Array
}

export interface Checkpoint extends CheckpointBody {
  readonly extensions: readonly string[]
  /** The signed text: everything before the blank line, ending in a newline. */
  readonly body: string
  readonly signatures: readonly NoteSignature[]
}

export interface KnownKey {
  readonly name: string
  /** did:key string or raw 32-byte Ed25519 public key. */
  readonly publicKeyOrDid: string | Uint8Array
}

export class MalformedCheckpointError extends Error {
  override readonly name = 'MalformedCheckpointError'
  readonly code = CheckpointErrorCode.MALFORMED_CHECKPOINT
}

export function originForDid (did: string): string {
  return `trustmesh/${did}`
}

/** Signed-note key id: SHA-256(name || "\n" || 0x01 || pubkey)[0:4]. */
export function keyId (name: string, publicKey: Uint8Array): Uint8Array {
  const h = createHash('sha256').update(name, 'utf8').update(Uint8Array.of(0x0a, ALG_ED25519)).update(publicKey).digest()
  return new Uint8Array(h.subarray(0, 4))
}

function validName (name: string): boolean {
  return name.length > 0 && name.length <= 512 && !/[\s+]/u.test(name)
}

function strictB64 (s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined
  const b = Buffer.from(s, 'base64')
  return b.toString('base64') === s ? new Uint8Array(b) : undefined
}

function encodeBody (cp: CheckpointBody, extensions: readonly string[] = []): string {
  if (!validOrigin(cp.origin)) throw new MalformedCheckpointError(`origin ${JSON.stringify(cp.origin)} is not a valid origin line`)
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new MalformedCheckpointError(`size ${cp.size} is not a tree size`)
  if (cp.root.length !== HASH_SIZE) throw new MalformedCheckpointError('root hash must be 32 bytes')
  return [cp.origin, String(cp.size), Buffer.from(cp.root).toString('base64'), ...extensions].join('\n') + '\n'
}

function validOrigin (origin: string): boolean {
  return origin.length > 0 && origin.length <= 512 && !/[\n\r]/.test(origin) && origin.trim() === origin
}

async function signatureLine (body: string, signer: Signer, name: string): Promise<string> {
  if (!validName(name)) throw new MalformedCheckpointError(`key name ${JSON.stringify(name)} is not valid`)
  const sig = await signer.sign(new TextEncoder().encode(body))
  const bytes = new Uint8Array(4 + sig.length)
  bytes.set(keyId(name, signer.publicKey), 0)
  bytes.set(sig, 4)
  return `${DASH}${name} ${Buffer.from(bytes).toString('base64')}\n`
}

/** A C2SP signed note of `text` (which must end in a newline) with one signature. */
export async function signNote (text: string, signer: Signer, name: string): Promise<string> {
  if (!text.endsWith('\n') || text.includes('\n\n')) throw new MalformedCheckpointError('note text must end in a newline and contain no blank line')
  return text + '\n' + await signatureLine(text, signer, name)
}

/** Signs a checkpoint with the node's key; the key name defaults to the origin. */
export async function signCheckpoint (signer: Signer, checkpoint: CheckpointBody, options: { name?: string, extensions?: readonly string[] } = {}): Promise<string> {
  return await signNote(encodeBody(checkpoint, options.extensions), signer, options.name ?? checkpoint.origin)
}

export function parseCheckpoint (text: string): Result<Checkpoint> {
  const bad = (why: string): { ok: false, error: { code: string, message: string } } => fail(CheckpointErrorCode.MALFORMED_CHECKPOINT, `checkpoint ${why}`)
  if (typeof text !== 'string') return bad('is not text')
  if (Buffer.byteLength(text, 'utf8') > MAX_CHECKPOINT_BYTES) return bad(`is larger than ${MAX_CHECKPOINT_BYTES} bytes`)
  if (text.includes('\r')) return bad('contains a carriage return')
  const split = text.indexOf('\n\n')
  if (split < 0) return bad('has no blank line before its signatures')
  const body = text.slice(0, split + 1)
  const sigText = text.slice(split + 2)
  const lines = body.slice(0, -1).split('\n')
  if (lines.length < 3) return bad('needs an origin, a size and a root hash line')
  const [origin, sizeText, rootText, ...extensions] = lines
  if (!validOrigin(origin)) return bad('has an invalid origin line')
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) return bad(`has an invalid size ${JSON.stringify(sizeText.slice(0, 20))}`)
  const root = strictB64(rootText)
  if (root == null || root.length !== HASH_SIZE) return bad('has an invalid root hash')
  if (extensions.some((l) => l.length === 0)) return bad('has an empty extension line')
  if (!sigText.endsWith('\n') || sigText.length === 0) return bad('has no signature lines, or they do not end in a newline')
  const sigLines = sigText.slice(0, -1).split('\n')
  if (sigLines.length > MAX_SIGNATURES) return bad(`has more than ${MAX_SIGNATURES} signatures`)
  const signatures: NoteSignature[] = []
  for (const line of sigLines) {
    if (!line.startsWith(DASH)) return bad('has a signature line that does not start with "— "')
    const parts = line.slice(DASH.length).split(' ')
    if (parts.length !== 2 || !validName(parts[0])) return bad('has a malformed signature line')
    const bytes = strictB64(parts[1])
    if (bytes == null || bytes.length < 5) return bad(`has a malformed signature for ${parts[0]}`)
    signatures.push({ name: parts[0], keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) })
  }
  return ok({ origin, size: Number(sizeText), root, extensions, body, signatures })
}

function resolveKey (key: string | Uint8Array): Result<Uint8Array> {
  if (typeof key === 'string') return parseDidKey(key)
  if (key.length !== 32) return fail('INVALID_PUBLIC_KEY_LENGTH', `Ed25519 public key must be 32 bytes, got ${key.length}`)
  return ok(key)
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/** True if one of the note's signatures under `name` is a valid signature of the body by `publicKey`. */
function hasValidSignature (cp: Checkpoint, name: string, publicKey: Uint8Array): boolean {
  const id = keyId(name, publicKey)
  const message = new TextEncoder().encode(cp.body)
  return cp.signatures.some((s) => s.name === name && sameBytes(s.keyId, id) && verifyEd25519(publicKey, message, s.signature))
}

/**
 * Verifies the log's own signature: the checkpoint must parse, carry the expected origin and be
 * signed under key name `name` (default: the origin) by the given key.
 */
export function verifyCheckpoint (text: string, expected: { origin: string, publicKeyOrDid: string | Uint8Array, name?: string }): Result<Checkpoint> {
  const parsed = parseCheckpoint(text)
  if (!parsed.ok) return parsed
  const cp = parsed.value
  if (cp.origin !== expected.origin) {
    return fail(CheckpointErrorCode.ORIGIN_MISMATCH, `checkpoint origin ${JSON.stringify(cp.origin)} is not the expected ${JSON.stringify(expected.origin)}`)
  }
  const key = resolveKey(expected.publicKeyOrDid)
  if (!key.ok) return key
  const name = expected.name ?? expected.origin
  if (!hasValidSignature(cp, name, key.value)) {
    return fail(CheckpointErrorCode.BAD_CHECKPOINT_SIGNATURE, `checkpoint for ${cp.origin} at size ${cp.size} has no valid signature by ${name}`)
  }
  return ok(cp)
}

/** Adds a cosignature line under `name` (unchanged if that key already signed). */
export async function cosignCheckpoint (text: string, cosigner: Signer, name: string): Promise<string> {
  const parsed = parseCheckpoint(text)
  if (!parsed.ok) throw new MalformedCheckpointError(parsed.error.message)
  const id = keyId(name, cosigner.publicKey)
  if (parsed.value.signatures.some((s) => s.name === name && sameBytes(s.keyId, id))) return text
  if (parsed.value.signatures.length >= MAX_SIGNATURES) throw new MalformedCheckpointError(`checkpoint already has ${MAX_SIGNATURES} signatures`)
  return text + await signatureLine(parsed.value.body, cosigner, name)
}

/**
 * Checks cosignatures of known cosigners. Lines by unknown names are ignored (signed-note rule); a
 * line by a known name that does not verify fails BAD_COSIGNATURE; fewer than `min` valid ones
 * (default: all known cosigners) fails MISSING_COSIGNATURE.
 */
export function verifyCosignatures (text: string, knownCosigners: readonly KnownKey[], options: { min?: number } = {}): Result<{ checkpoint: Checkpoint, verified: string[] }> {
  const parsed = parseCheckpoint(text)
  if (!parsed.ok) return parsed
  const cp = parsed.value
  const verified: string[] = []
  for (const c of knownCosigners) {
    const key = resolveKey(c.publicKeyOrDid)
    if (!key.ok) return key
    const lines = cp.signatures.filter((s) => s.name === c.name)
    if (lines.length === 0) continue
    if (!hasValidSignature(cp, c.name, key.value)) {
      return fail(CheckpointErrorCode.BAD_COSIGNATURE, `cosignature by ${c.name} on ${cp.origin} at size ${cp.size} does not verify`)
    }
    verified.push(c.name)
  }
  const min = options.min ?? knownCosigners.length
  if (verified.length < min) {
    const missing = knownCosigners.map((c) => c.name).filter((n) => !verified.includes(n))
    return fail(CheckpointErrorCode.MISSING_COSIGNATURE, `checkpoint has ${verified.length} valid cosignatures, ${min} required (missing: ${missing.join(', ')})`)
  }
  return ok({ checkpoint: cp, verified })
}
