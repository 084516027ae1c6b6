/**
 * Witnessing: a peer cosigns another node's checkpoint only after checking the node's signature and
 * that the new tree extends the last one it cosigned for that origin (a consistency proof from the
 * old size to the new one; the same size must have the same root). It keeps the latest verified
 * checkpoint per origin in a small store. Two signed checkpoints of one origin that cannot both be
 * true (same size, different roots) are an Equivocation, kept with both texts as evidence, reported
 * and never cosigned. A bigger checkpoint whose proof fails is INCONSISTENT (the proof could simply
 * be wrong, so it is refused but not called a fork); one smaller than seen is STALE.
 */
import { fail, ok, type Failure } from '../identity/result.js'
import type { Signer } from '../identity/signer.js'
import { cosignCheckpoint, parseCheckpoint, verifyCheckpoint, type Checkpoint } from './checkpoint.js'
import { equalBytes, verifyConsistency } from './merkle.js'

export const WitnessErrorCode = {
  UNKNOWN_ORIGIN: 'UNKNOWN_ORIGIN',
  BAD_CHECKPOINT_SIGNATURE: 'BAD_CHECKPOINT_SIGNATURE',
  STALE: 'STALE',
  INCONSISTENT: 'INCONSISTENT',
  EQUIVOCATION: 'EQUIVOCATION'
} as const

export interface Equivocation {
  /** EQUIVOCATION: one size, two roots; INCONSISTENT: two sizes and no proof that one extends the other. */
  readonly code: 'EQUIVOCATION' | 'INCONSISTENT'
  readonly origin: string
  /** The larger tree size of the two. */
  readonly size: number
  /** The two sizes, when they differ. */
  readonly sizes?: readonly [number, number]
  /** Both signed checkpoint texts; either alone verifies under the origin's key. */
  readonly evidence: readonly [string, string]
  readonly detectedAt: number
}

export type WitnessResult =
  | { readonly ok: true, readonly value: { readonly cosigned: string, readonly checkpoint: Checkpoint } }
  | { readonly ok: false, readonly error: Failure, readonly equivocation?: Equivocation }

/** Latest cosigned checkpoint text per origin. */
export interface WitnessStore {
  get: (origin: string) => Promise<string | undefined>
  put: (origin: string, checkpoint: string) => Promise<void>
  addEquivocation: (record: Equivocation) => Promise<void>
  equivocations: () => Promise<Equivocation[]>
}

export class MemoryWitnessStore implements WitnessStore {
  readonly #latest = new Map<string, string>()
  readonly #equivocations: Equivocation[] = []
  async get (origin: string): Promise<string | undefined> { return this.#latest.get(origin) }
  async put (origin: string, checkpoint: string): Promise<void> { this.#latest.set(origin, checkpoint) }
  async addEquivocation (record: Equivocation): Promise<void> { this.#equivocations.push(record) }
  async equivocations (): Promise<Equivocation[]> { return [...this.#equivocations] }
}

/** The subset of an abstract-level sublevel the witness store uses. */
export interface WitnessLevel {
  get: (key: string, options: { keyEncoding: 'utf8', valueEncoding: 'utf8' }) => Promise<string | undefined>
  batch: (operations: Array<{ type: 'put', key: string, value: string }>, options: { keyEncoding: 'utf8', valueEncoding: 'utf8', sync: boolean }) => Promise<void>
  iterator: (options: { gte: string, lt: string, keyEncoding: 'utf8', valueEncoding: 'utf8' }) => AsyncIterable<[string, string]>
}

/** Witness state in a LevelDB sublevel: `l:<origin>` latest checkpoint, `q:<origin>:<time>:<size>` equivocations. */
export class LevelWitnessStore implements WitnessStore {
  static readonly #enc = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const
  constructor (private readonly db: WitnessLevel) {}
  async get (origin: string): Promise<string | undefined> {
    return await this.db.get(`l:${origin}`, LevelWitnessStore.#enc)
  }

  async put (origin: string, checkpoint: string): Promise<void> {
    await this.db.batch([{ type: 'put', key: `l:${origin}`, value: checkpoint }], { ...LevelWitnessStore.#enc, sync: true })
  }

  async addEquivocation (record: Equivocation): Promise<void> {
    const key = `q:${record.origin}:${String(record.detectedAt).padStart(15, '0')}:${record.size}`
    await this.db.batch([{ type: 'put', key, value: JSON.stringify(record) }], { ...LevelWitnessStore.#enc, sync: true })
  }

  async equivocations (): Promise<Equivocation[]> {
    const out: Equivocation[] = []
    for await (const [, v] of this.db.iterator({ gte: 'q:', lt: 'q;', ...LevelWitnessStore.#enc })) out.push(JSON.parse(v) as Equivocation)
    return out
  }
}

export interface WitnessOptions {
  /** This witness's key and the name its cosignatures carry. */
  readonly signer: Signer
  readonly name: string
  /** Logs this witness vouches for: origin -> the node's did:key or raw public key. */
  readonly logs: ReadonlyMap<string, string | Uint8Array>
  readonly store: WitnessStore
  readonly clock: { now: () => number }
  readonly onEquivocation?: (record: Equivocation) => void
}

export class Witness {
  readonly #o: WitnessOptions
  readonly #queues = new Map<string, Promise<unknown>>()

  constructor (options: WitnessOptions) {
    this.#o = options
  }

  /** The checkpoint last cosigned for `origin`, if any. */
  async latest (origin: string): Promise<string | undefined> {
    return await this.#o.store.get(origin)
  }

  /**
   * Checks `text` against the last checkpoint seen from its origin with `proof` (a consistency
   * proof from the old size to the new one) and cosigns it if everything holds. Calls for one
   * origin are serialised so two racing checkpoints cannot both pass against the same old state.
   */
  async cosign (text: string, proof: readonly Uint8Array[]): Promise<WitnessResult> {
    const parsed = parseCheckpoint(text)
    if (!parsed.ok) return parsed
    const origin = parsed.value.origin
    const prev = this.#queues.get(origin) ?? Promise.resolve()
    const run = prev.then(async () => await this.#cosign(origin, text, proof))
    this.#queues.set(origin, run.catch(() => undefined))
    return await run
  }

  async #cosign (origin: string, text: string, proof: readonly Uint8Array[]): Promise<WitnessResult> {
    const key = this.#o.logs.get(origin)
    if (key == null) return fail(WitnessErrorCode.UNKNOWN_ORIGIN, `this witness does not follow the log ${JSON.stringify(origin)}`)
    const verified = verifyCheckpoint(text, { origin, publicKeyOrDid: key })
    if (!verified.ok) {
      return fail(WitnessErrorCode.BAD_CHECKPOINT_SIGNATURE, verified.error.message, { causes: [verified.error] })
    }
    const cp = verified.value
    const lastText = await this.#o.store.get(origin)
    if (lastText != null) {
      const last = verifyCheckpoint(lastText, { origin, publicKeyOrDid: key })
      if (!last.ok) return fail(WitnessErrorCode.INCONSISTENT, `stored checkpoint for ${origin} no longer verifies: ${last.error.message}`)
      const old = last.value
      if (cp.size < old.size) {
        return fail(WitnessErrorCode.STALE, `checkpoint for ${origin} has size ${cp.size}, smaller than the ${old.size} already cosigned`)
      }
      if (cp.size === old.size && !equalBytes(cp.root, old.root)) {
        const record: Equivocation = { code: 'EQUIVOCATION', origin, size: cp.size, evidence: [lastText, text], detectedAt: this.#o.clock.now() }
        await this.#o.store.addEquivocation(record)
        this.#o.onEquivocation?.(record)
        return {
          ...fail(WitnessErrorCode.EQUIVOCATION, `${origin} signed two different trees of size ${cp.size}`),
          equivocation: record
        }
      }
      if (!verifyConsistency(old.size, cp.size, old.root, cp.root, proof)) {
        return fail(WitnessErrorCode.INCONSISTENT, `checkpoint for ${origin} at size ${cp.size} is not proven to extend the one at size ${old.size}`)
      }
    }
    const cosigned = await cosignCheckpoint(text, this.#o.signer, this.#o.name)
    await this.#o.store.put(origin, cosigned)
    return ok({ cosigned, checkpoint: cp })
  }
}

/**
 * Compares two checkpoints of one origin seen by different peers (both already signature-checked).
 * Same size with different roots is an equivocation; otherwise the smaller must be proven to be a
 * prefix of the larger by `proof`, or they are INCONSISTENT (a possible fork).
 */
export function compareCheckpoints (a: Checkpoint, b: Checkpoint, proof: readonly Uint8Array[]): { ok: true, value: 'consistent' } | { ok: false, error: Failure } {
  if (a.origin !== b.origin) return fail('ORIGIN_MISMATCH', `checkpoints are for different logs (${a.origin}, ${b.origin})`)
  const [small, big] = a.size <= b.size ? [a, b] : [b, a]
  if (small.size === big.size) {
    return equalBytes(small.root, big.root)
      ? ok('consistent' as const)
      : fail(WitnessErrorCode.EQUIVOCATION, `${a.origin} signed two different trees of size ${a.size}`)
  }
  return verifyConsistency(small.size, big.size, small.root, big.root, proof)
    ? ok('consistent' as const)
    : fail(WitnessErrorCode.INCONSISTENT, `${a.origin}: tree of size ${big.size} is not proven to extend the one of size ${small.size}`)
}
