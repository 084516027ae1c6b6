/**
 * The node's own audit log as a service: appends decisions before they take effect, signs
 * checkpoints with the node key, keeps the cosignatures witnesses return attached to them, and
 * answers verification, proof and export requests. At open it checks the stored log against its
 * latest checkpoint; a log that fails (an edited entry, a cut tail) is marked broken and refuses
 * appends and new checkpoints, so every decision is then denied (fail closed) and nothing signs
 * over the damage.
 */
import {
  AuditLog, AuditUnavailableError, exportBundle, originForDid, parseCheckpoint, signCheckpoint, verifyCosignatures,
  verifyLog, type AuditEntry, type AuditKind, type AuditStore, type JsonValue, type KnownKey
} from '../../../audit/index.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { Signer } from '../../../identity/signer.js'
import type { Clock } from '../../../identity/clock.js'
import type { Logger } from '../../../identity/logger.js'
import type { DecisionEvent } from '../../components.js'

/** The subset of a sublevel the service keeps checkpoints and witness records in. */
export interface TextLevel {
  readonly status: string
  get: (key: string, options: { keyEncoding: 'utf8', valueEncoding: 'utf8' }) => Promise<string | undefined>
  batch: (operations: Array<{ type: 'put', key: string, value: string }>, options: { keyEncoding: 'utf8', valueEncoding: 'utf8', sync: boolean }) => Promise<void>
  iterator: (options: { gte: string, lt: string, keyEncoding: 'utf8', valueEncoding: 'utf8' }) => AsyncIterable<[string, string]>
}

export interface AuditServiceOptions {
  /** Entries, subtree hashes and tree state. */
  readonly entries: AuditStore
  /** Signed checkpoints: `latest` and `s:<size>`. */
  readonly checkpoints: TextLevel
  /** Witnesses that cosigned: `w:<node did>` -> { did, name, size, at }. */
  readonly cosigners: TextLevel
  /** The node's did:key (the log's key); the origin is `trustmesh/<did>`. */
  readonly did: string
  /** The node key; absent for offline verification (no signing then). */
  readonly signer?: Signer
  readonly clock: Clock
  readonly logger: Logger
}

export interface CosignerRecord { did: string, name: string, size: number, at: number }

export interface VerifyReport {
  ok: boolean
  code?: string
  message?: string
  origin: string
  entries: number
  checkpointSize?: number
  root?: string
  cosigners: string[]
}

const ENC = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const
const LATEST = 'latest'
const DASH = '\u2014 '

function sizeKey (size: number): string {
  return `s:${size.toString(16).padStart(13, '0')}`
}

/** Every DecisionEvent kind is an audit kind of its own. */
function auditKindOf (kind: DecisionEvent['kind']): AuditKind {
  return kind
}

/** Drop what has no JSON form (undefined, functions) so the entry always encodes. */
function jsonDetails (details: Record<string, unknown>): Record<string, JsonValue> {
  return JSON.parse(JSON.stringify(details, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v) ?? '{}') as Record<string, JsonValue>
}

export class AuditService {
  readonly log: AuditLog
  readonly origin: string
  readonly #o: AuditServiceOptions
  #broken: { code: string, message: string } | undefined
  #queue: Promise<unknown> = Promise.resolve()

  private constructor (log: AuditLog, options: AuditServiceOptions) {
    this.log = log
    this.#o = options
    this.origin = originForDid(options.did)
  }

  /** Opens the log and checks it against its latest checkpoint (a failure marks it broken). */
  static async open (options: AuditServiceOptions): Promise<AuditService> {
    const log = await AuditLog.open({ store: options.entries, clock: options.clock })
    const service = new AuditService(log, options)
    const report = await service.verify()
    if (!report.ok && report.checkpointSize != null) {
      service.#broken = { code: report.code ?? 'AUDIT_CORRUPT', message: report.message ?? 'audit log does not verify' }
      options.logger.error('audit log does not match its signed checkpoint: every decision will be denied', { code: report.code, error: report.message })
    }
    return service
  }

  /** Why the log refuses appends, if it does. */
  broken (): { code: string, message: string } | undefined {
    return this.#broken
  }

  /** Appends a decision durably; throws AuditUnavailableError when it cannot (the caller denies). */
  async append (event: DecisionEvent): Promise<AuditEntry> {
    if (this.#broken != null) throw new AuditUnavailableError(`audit log failed verification (${this.#broken.code}); no decision can be recorded`)
    const details = jsonDetails(event.details)
    try {
      const r = await this.log.append({ kind: auditKindOf(event.kind), subject: event.subject, ...(event.reason != null ? { reason: event.reason } : {}), details })
      return r.entry
    } catch (err) {
      if (err instanceof AuditUnavailableError) throw err
      throw new AuditUnavailableError(`audit entry could not be written: ${(err as Error).message}`, { cause: err })
    }
  }

  async appendEntry (kind: AuditKind, subject: string, details: Record<string, unknown> = {}): Promise<void> {
    if (this.#broken != null) throw new AuditUnavailableError('audit log failed verification')
    await this.log.append({ kind, subject, details: jsonDetails(details) })
  }

  async #get (level: TextLevel, key: string): Promise<string | undefined> {
    return await level.get(key, ENC)
  }

  async #put (level: TextLevel, ops: Array<{ key: string, value: string }>): Promise<void> {
    await level.batch(ops.map(o => ({ type: 'put' as const, ...o })), { ...ENC, sync: true })
  }

  /** The latest signed checkpoint with the cosignatures attached so far. */
  async latest (): Promise<string | undefined> {
    return await this.#get(this.#o.checkpoints, LATEST)
  }

  async checkpointAt (size: number): Promise<string | undefined> {
    return await this.#get(this.#o.checkpoints, sizeKey(size))
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn)
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** Signs a checkpoint of the current tree unless the latest already covers it; returns the latest. */
  async checkpoint (): Promise<string> {
    return await this.#serial(async () => {
      if (this.#broken != null) throw new AuditUnavailableError(`audit log failed verification (${this.#broken.code}); no checkpoint is signed over it`)
      const signer = this.#o.signer
      const latest = await this.latest()
      // size and root from one snapshot taken after the last await: a commit may land during any await
      const { size, root } = this.log.head()
      const parsed = latest != null ? parseCheckpoint(latest) : undefined
      if (parsed?.ok === true && parsed.value.size === size) return latest as string
      if (parsed?.ok === true && parsed.value.size > size) {
        this.#broken = { code: 'TRUNCATED', message: `log holds ${size} entries but its checkpoint commits to ${parsed.value.size}` }
        throw new AuditUnavailableError(this.#broken.message)
      }
      if (signer == null) throw new AuditUnavailableError('no node key to sign a checkpoint with')
      const text = await signCheckpoint(signer, { origin: this.origin, size, root })
      await this.#put(this.#o.checkpoints, [{ key: LATEST, value: text }, { key: sizeKey(size), value: text }])
      this.#o.logger.info('audit checkpoint signed', { size })
      return text
    })
  }

  /**
   * Keeps a witness's cosignature: the returned text must carry our own checkpoint body and a valid
   * line by the witness; only that line is attached to the stored checkpoint of that size.
   */
  async addCosignature (witness: { did: string, name: string }, cosigned: string): Promise<Result<{ size: number }>> {
    const parsed = parseCheckpoint(cosigned)
    if (!parsed.ok) return parsed
    const cp = parsed.value
    const v = verifyCosignatures(cosigned, [{ name: witness.name, publicKeyOrDid: witness.did }], { min: 1 })
    if (!v.ok) return v
    const line = cosigned.split('\n').find(l => l.startsWith(`${DASH}${witness.name} `))
    if (line == null) return fail('BAD_COSIGNATURE', 'cosignature line not found')
    return await this.#serial(async () => {
      const stored = await this.checkpointAt(cp.size)
      const mine = stored != null ? parseCheckpoint(stored) : undefined
      if (mine?.ok !== true || mine.value.body !== cp.body) return fail('UNKNOWN_CHECKPOINT', `the witness cosigned a checkpoint of size ${cp.size} this node did not sign`)
      const merged = stored?.includes(`\n${line}\n`) === true ? stored : `${stored as string}${line}\n`
      const ops = [{ key: sizeKey(cp.size), value: merged }]
      const latest = parseCheckpoint(await this.latest() ?? '')
      if (latest.ok && latest.value.size === cp.size) ops.push({ key: LATEST, value: merged })
      const prev = await this.#get(this.#o.cosigners, `w:${witness.did}`)
      const prevSize = prev != null ? (JSON.parse(prev) as CosignerRecord).size : -1
      if (cp.size >= prevSize) ops.push({ key: `w:${witness.did}`, value: JSON.stringify({ did: witness.did, name: witness.name, size: cp.size, at: this.#o.clock.now() } satisfies CosignerRecord) })
      await this.#put(this.#o.cosigners, ops.filter(o => o.key.startsWith('w:')))
      await this.#put(this.#o.checkpoints, ops.filter(o => !o.key.startsWith('w:')))
      return ok({ size: cp.size })
    })
  }

  /** Witnesses that have cosigned any checkpoint of ours. */
  async knownCosigners (): Promise<CosignerRecord[]> {
    const out: CosignerRecord[] = []
    for await (const [, v] of this.#o.cosigners.iterator({ gte: 'w:', lt: 'w;', ...ENC })) out.push(JSON.parse(v) as CosignerRecord)
    return out
  }

  async cosignerRecord (did: string): Promise<CosignerRecord | undefined> {
    const v = await this.#get(this.#o.cosigners, `w:${did}`)
    return v == null ? undefined : JSON.parse(v) as CosignerRecord
  }

  /** Cosigners whose lines on `checkpoint` verify (for bundles and reports). */
  async cosignersOn (checkpoint: string): Promise<Array<{ did: string, name: string }>> {
    const out: Array<{ did: string, name: string }> = []
    for (const c of await this.knownCosigners()) {
      if (verifyCosignatures(checkpoint, [{ name: c.name, publicKeyOrDid: c.did }], { min: 1 }).ok) out.push({ did: c.did, name: c.name })
    }
    return out
  }

  /**
   * Recomputes the tree from the stored entry bytes and checks it against the latest checkpoint,
   * the node's signature and every cosignature by a known witness (at least `minCosignatures`).
   */
  async verify (options: { minCosignatures?: number } = {}): Promise<VerifyReport> {
    const base = { origin: this.origin, entries: this.log.size() }
    const latest = await this.latest()
    if (latest == null) {
      return this.log.size() === 0
        ? { ...base, ok: true, cosigners: [] }
        : { ...base, ok: false, code: 'NO_CHECKPOINT', message: `${this.log.size()} entries and no signed checkpoint yet`, cosigners: [] }
    }
    const parsed = parseCheckpoint(latest)
    const cosigners: KnownKey[] = (await this.knownCosigners()).map(c => ({ name: c.name, publicKeyOrDid: c.did }))
    const r = await verifyLog(this.log, latest, { origin: this.origin, publicKeyOrDid: this.#o.did, cosigners, minCosignatures: options.minCosignatures ?? 0 })
    const size = parsed.ok ? parsed.value.size : undefined
    if (!r.ok) return { ...base, ok: false, code: r.error.code, message: r.error.message, ...(size != null ? { checkpointSize: size } : {}), cosigners: [] }
    return { ...base, ok: true, checkpointSize: r.value.checkpoint.size, root: Buffer.from(r.value.checkpoint.root).toString('base64'), entries: r.value.entries, cosigners: [...r.value.cosigners] }
  }

  /** An entry with its inclusion proof in the latest checkpoint (signing a new one if it is not covered yet). */
  async proof (index: number): Promise<Result<{ entry: AuditEntry, index: number, size: number, proof: string[], checkpoint: string }>> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.log.size()) return fail('NO_SUCH_ENTRY', `there is no entry ${index} (the log holds ${this.log.size()})`)
    let checkpoint = await this.latest()
    let cp = checkpoint != null ? parseCheckpoint(checkpoint) : undefined
    if (cp?.ok !== true || cp.value.size <= index) {
      checkpoint = await this.checkpoint()
      cp = parseCheckpoint(checkpoint)
    }
    if (!cp.ok) return cp
    const entry = await this.log.get(index)
    if (entry == null) return fail('NO_SUCH_ENTRY', `entry ${index} is missing`)
    const proof = await this.log.inclusionProof(index, cp.value.size)
    return ok({ entry, index, size: cp.value.size, proof: proof.map(h => Buffer.from(h).toString('base64')), checkpoint: checkpoint as string })
  }

  /** Index of the latest entry about `subject`, if any. */
  async findSubject (subject: string): Promise<number | undefined> {
    for (let i = this.log.size() - 1; i >= 0; i--) {
      const e = await this.log.get(i)
      if (e?.subject === subject) return i
    }
    return undefined
  }

  /** Writes an evidence bundle of the latest checkpoint (with the cosignatures that verify). */
  async export (dir: string): Promise<{ dir: string, size: number, cosigners: Array<{ did: string, name: string }>, files: string[] }> {
    const checkpoint = await this.latest()
    if (checkpoint == null) throw new AuditUnavailableError('no signed checkpoint to export')
    const cosigners = await this.cosignersOn(checkpoint)
    const { files } = await exportBundle(this.log, dir, { checkpoint, did: this.#o.did, cosigners })
    const parsed = parseCheckpoint(checkpoint)
    return { dir, size: parsed.ok ? parsed.value.size : 0, cosigners, files }
  }
}
