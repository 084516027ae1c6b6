/**
 * Evidence bundles: a directory that lets anyone check the audit log on another machine, with no
 * node running. Files (all written once, byte for byte reproducible):
 *
 *   entries.jsonl    canonical entry JSON, one per line, entries [0, checkpoint size)
 *   checkpoint.txt   the signed checkpoint with its cosignatures
 *   log-key.json     { did, origin } of the node that signs the log
 *   cosigners.json   [{ did, name }] of the witnesses whose cosignatures are required
 *   proofs.json      { size, inclusion: [{ index, proof: [base64 hash] }] } for every entry
 *   manifest.json    { format, files: { name: sha256 hex } }
 *
 * The JSON files are canonical JSON plus a newline and are refused in any other spelling, so a
 * changed byte in any file fails either the manifest digest or a signature, root or proof check.
 * Without `trusted` keys, verifyBundle proves only that the bundle is self-consistent: that the key
 * it names signed this history. Pass the node's DID and the cosigners you trust to pin them.
 */
import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fail, type Result } from '../identity/result.js'
import type { AuditLog } from './audit-log.js'
import { parseCheckpoint, type KnownKey } from './checkpoint.js'
import { canonicalJson } from './entry.js'
import { verifyInclusion } from './merkle.js'
import { verifyEntries, type LogVerification } from './verify-log.js'
import { readRegularFileBytes } from '../identity/regular-file.js'

export const BUNDLE_FORMAT = 'trustmesh-audit-bundle/1'
export const BUNDLE_FILES = ['entries.jsonl', 'checkpoint.txt', 'log-key.json', 'cosigners.json', 'proofs.json'] as const
const MANIFEST = 'manifest.json'
/** Refuse absurd files before reading them into memory. */
export const MAX_BUNDLE_FILE_BYTES = 512 * 1024 * 1024

export const BundleErrorCode = {
  BUNDLE_INCOMPLETE: 'BUNDLE_INCOMPLETE',
  MALFORMED_BUNDLE: 'MALFORMED_BUNDLE',
  BUNDLE_DIGEST_MISMATCH: 'BUNDLE_DIGEST_MISMATCH',
  BAD_PROOF: 'BAD_PROOF',
  DID_MISMATCH: 'DID_MISMATCH'
} as const

export interface BundleCosigner { readonly name: string, readonly did: string }

export interface ExportBundleOptions {
  /** Signed (and cosigned) checkpoint; its size decides which entries go in. */
  readonly checkpoint: string
  /** The node's did:key. */
  readonly did: string
  readonly cosigners?: readonly BundleCosigner[]
}

function sha256Hex (b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex')
}

function jsonFile (value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value) + '\n')
}

/** Writes an evidence bundle for `log` into `dir` (created if needed). */
export async function exportBundle (log: AuditLog, dir: string, options: ExportBundleOptions): Promise<{ files: string[] }> {
  const parsed = parseCheckpoint(options.checkpoint)
  if (!parsed.ok) throw new TypeError(`cannot export with this checkpoint: ${parsed.error.message}`)
  const cp = parsed.value
  if (cp.size > log.size()) throw new RangeError(`checkpoint size ${cp.size} is beyond the log size ${log.size()}`)
  const raw = await log.rawEntries(cp.size)
  const chunks: Buffer[] = []
  for (const e of raw) chunks.push(Buffer.from(e), Buffer.from('\n'))
  const inclusion: Array<{ index: number, proof: string[] }> = []
  for (let i = 0; i < cp.size; i++) {
    const proof = await log.inclusionProof(i, cp.size)
    inclusion.push({ index: i, proof: proof.map((h) => Buffer.from(h).toString('base64')) })
  }
  const files: Record<string, Uint8Array> = {
    'entries.jsonl': new Uint8Array(Buffer.concat(chunks)),
    'checkpoint.txt': new TextEncoder().encode(options.checkpoint),
    'log-key.json': jsonFile({ did: options.did, origin: cp.origin }),
    'cosigners.json': jsonFile((options.cosigners ?? []).map((c) => ({ did: c.did, name: c.name }))),
    'proofs.json': jsonFile({ size: cp.size, inclusion })
  }
  const digests: Record<string, string> = {}
  for (const name of BUNDLE_FILES) digests[name] = sha256Hex(files[name])
  files[MANIFEST] = jsonFile({ format: BUNDLE_FORMAT, files: digests })
  await mkdir(dir, { recursive: true })
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes)
  return { files: Object.keys(files) }
}

async function readBytes (dir: string, name: string): Promise<Uint8Array | undefined> {
  try {
    // a regular file of bounded size (a FIFO or a device in a bundle would block or never end)
    return new Uint8Array(await readRegularFileBytes(join(dir, name), { maxBytes: MAX_BUNDLE_FILE_BYTES }))
  } catch {
    return undefined
  }
}

/** Parses a canonical JSON file (canonical text + "\n"), or undefined if it is spelled any other way. */
function parseJsonFile (bytes: Uint8Array): unknown {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    if (!text.endsWith('\n')) return undefined
    const value: unknown = JSON.parse(text.slice(0, -1))
    return canonicalJson(value) + '\n' === text ? value : undefined
  } catch {
    return undefined
  }
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

export interface VerifyBundleOptions {
  /** Pin the node's DID (else the bundle's log-key.json is taken at its word). */
  readonly did?: string
  /** Pin the cosigners (else the bundle's cosigners.json). */
  readonly cosigners?: readonly KnownKey[]
  readonly minCosignatures?: number
}

export async function verifyBundle (dir: string, options: VerifyBundleOptions = {}): Promise<Result<LogVerification>> {
  const manifestBytes = await readBytes(dir, MANIFEST)
  if (manifestBytes == null) return fail(BundleErrorCode.BUNDLE_INCOMPLETE, `${MANIFEST} is missing or unreadable`)
  const manifest = parseJsonFile(manifestBytes)
  if (!isRecord(manifest) || manifest.format !== BUNDLE_FORMAT || !isRecord(manifest.files) ||
    Object.keys(manifest.files).length !== BUNDLE_FILES.length) {
    return fail(BundleErrorCode.MALFORMED_BUNDLE, `${MANIFEST} is not a ${BUNDLE_FORMAT} manifest`)
  }
  const files: Record<string, Uint8Array> = {}
  for (const name of BUNDLE_FILES) {
    const bytes = await readBytes(dir, name)
    if (bytes == null) return fail(BundleErrorCode.BUNDLE_INCOMPLETE, `${name} is missing or unreadable`)
    if (manifest.files[name] !== sha256Hex(bytes)) return fail(BundleErrorCode.BUNDLE_DIGEST_MISMATCH, `${name} does not match its digest in ${MANIFEST}`)
    files[name] = bytes
  }

  const logKey = parseJsonFile(files['log-key.json'])
  if (!isRecord(logKey) || typeof logKey.did !== 'string' || typeof logKey.origin !== 'string') {
    return fail(BundleErrorCode.MALFORMED_BUNDLE, 'log-key.json must be canonical JSON { did, origin }')
  }
  if (options.did != null && options.did !== logKey.did) {
    return fail(BundleErrorCode.DID_MISMATCH, `bundle is signed by ${logKey.did}, not the expected ${options.did}`)
  }
  const listed = parseJsonFile(files['cosigners.json'])
  if (!Array.isArray(listed) || !listed.every((c) => isRecord(c) && typeof c.did === 'string' && typeof c.name === 'string')) {
    return fail(BundleErrorCode.MALFORMED_BUNDLE, 'cosigners.json must be canonical JSON [{ did, name }]')
  }
  const cosigners: KnownKey[] = options.cosigners != null
    ? [...options.cosigners]
    : (listed as Array<{ did: string, name: string }>).map((c) => ({ name: c.name, publicKeyOrDid: c.did }))

  const entriesBytes = files['entries.jsonl']
  const entries: Uint8Array[] = []
  if (entriesBytes.length > 0) {
    if (entriesBytes[entriesBytes.length - 1] !== 0x0a) return fail(BundleErrorCode.MALFORMED_BUNDLE, 'entries.jsonl does not end with a newline')
    let start = 0
    for (let i = 0; i < entriesBytes.length; i++) {
      if (entriesBytes[i] === 0x0a) {
        entries.push(entriesBytes.subarray(start, i))
        start = i + 1
      }
    }
  }

  const checkpointText = new TextDecoder('utf-8', { fatal: false }).decode(files['checkpoint.txt'])
  if (!Buffer.from(checkpointText, 'utf8').equals(Buffer.from(files['checkpoint.txt']))) {
    return fail(BundleErrorCode.MALFORMED_BUNDLE, 'checkpoint.txt is not UTF-8')
  }
  const verified = verifyEntries(entries, checkpointText, {
    origin: logKey.origin,
    publicKeyOrDid: logKey.did,
    cosigners,
    ...(options.minCosignatures != null ? { minCosignatures: options.minCosignatures } : {})
  })
  if (!verified.ok) return verified
  const cp = verified.value.checkpoint
  if (entries.length !== cp.size) {
    return fail(BundleErrorCode.MALFORMED_BUNDLE, `entries.jsonl holds ${entries.length} entries, the checkpoint ${cp.size}`)
  }

  const proofs = parseJsonFile(files['proofs.json'])
  if (!isRecord(proofs) || proofs.size !== cp.size || !Array.isArray(proofs.inclusion) || proofs.inclusion.length !== cp.size) {
    return fail(BundleErrorCode.MALFORMED_BUNDLE, 'proofs.json must hold one inclusion proof per entry at the checkpoint size')
  }
  for (let i = 0; i < cp.size; i++) {
    const p: unknown = proofs.inclusion[i]
    if (!isRecord(p) || p.index !== i || !Array.isArray(p.proof) || !p.proof.every((h) => typeof h === 'string')) {
      return fail(BundleErrorCode.MALFORMED_BUNDLE, `proofs.json inclusion[${i}] is malformed`)
    }
    const hashes = (p.proof as string[]).map((h) => new Uint8Array(Buffer.from(h, 'base64')))
    if (!(p.proof as string[]).every((h, j) => Buffer.from(hashes[j]).toString('base64') === h) ||
      !verifyInclusion(verified.value.leafHashes[i], i, cp.size, hashes, cp.root)) {
      return fail(BundleErrorCode.BAD_PROOF, `inclusion proof of entry ${i} does not verify against the checkpoint root`)
    }
  }
  return verified
}
