/**
 * This node as a witness of its partners' audit logs. A log owner asks for a cosignature of its
 * checkpoint with a consistency proof from the size this witness last cosigned; the witness (the
 * pure `Witness` of node/audit) checks signature and consistency before it signs and keeps a copy.
 * Checkpoints of the same log seen through gossip (cosigned by other witnesses) are compared with
 * the one kept here: one tree size with two roots is an equivocation; two sizes need a consistency
 * proof from the log owner, and without one they are INCONSISTENT (a split view). Either is stored
 * with both signed texts as evidence and reported. Gossiped checkpoints are kept (bounded) and
 * compared again whenever this witness's own view advances.
 */
import {
  LevelWitnessStore, Witness, compareCheckpoints, originForDid, parseCheckpoint, verifyCheckpoint,
  type Equivocation, type WitnessLevel
} from '../../../audit/index.js'
import { equalBytes } from '../../../audit/merkle.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { Signer } from '../../../identity/signer.js'
import type { Clock } from '../../../identity/clock.js'
import type { Logger } from '../../../identity/logger.js'
import type { CosignReply, CosignRequest } from '../../../protocols/audit/messages.js'

export interface WitnessServiceOptions {
  readonly level: WitnessLevel
  readonly signer: Signer
  /** Our own node did (its log is never witnessed here). */
  readonly did: string
  readonly clock: Clock
  readonly logger: Logger
  readonly onEquivocation?: (record: Equivocation) => void
  /**
   * Asks the log owner (its node did) for a consistency proof from tree size `from` to `to`; undefined
   * when the owner answered without one, a throw when it could not be reached. Without this source, checkpoints of other sizes are kept and
   * compared once this witness's own view reaches their size.
   */
  readonly proofOf?: (ownerDid: string, from: number, to: number, options: { signal?: AbortSignal }) => Promise<Uint8Array[] | undefined>
}

/** Most gossiped checkpoints kept per log for comparison when this witness's own view advances. */
const MAX_OBSERVED_PER_LOG = 16
/** Unanswered proof requests (owner unreachable) before the two sizes count as a split view. */
const MAX_UNANSWERED = 3
/** Bound on one background re-comparison (each proof request has its own protocol timeout too). */
const RECOMPARE_TIMEOUT_MS = 30_000

const NODE_ORIGIN = /^trustmesh\/(did:key:z[1-9A-HJ-NP-Za-km-z]+)$/

export class WitnessService {
  /** The name our cosignature lines carry. */
  readonly name: string
  readonly #o: WitnessServiceOptions
  readonly #store: LevelWitnessStore
  readonly #logs = new Map<string, string>()
  readonly #witness: Witness
  /** Gossiped checkpoints per origin, compared again whenever our own cosigned view advances. */
  readonly #observed = new Map<string, string[]>()
  /** Proof requests the owner left unanswered, per gossiped checkpoint. */
  readonly #unanswered = new Map<string, number>()

  constructor (options: WitnessServiceOptions) {
    this.#o = options
    this.name = originForDid(options.did)
    this.#store = new LevelWitnessStore(options.level)
    this.#witness = new Witness({
      signer: options.signer,
      name: this.name,
      logs: this.#logs,
      store: this.#store,
      clock: options.clock,
      onEquivocation: (r) => { this.#report(r) }
    })
  }

  #report (r: Equivocation): void {
    this.#o.logger.error('audit equivocation: a node signed two different histories', { origin: r.origin, size: r.size })
    this.#o.onEquivocation?.(r)
  }

  /**
   * Answers a cosign request from the node `peerDid` (derived from the hello-verified connection):
   * a node may only ask for its own log.
   */
  async handle (req: CosignRequest, peerDid: string): Promise<CosignReply> {
    const origin = originForDid(peerDid)
    const parsed = parseCheckpoint(req.checkpoint)
    if (!parsed.ok) return { v: 1, ok: false, code: parsed.error.code, message: parsed.error.message }
    if (parsed.value.origin !== origin) return { v: 1, ok: false, code: 'ORIGIN_MISMATCH', message: `a node may only ask for cosignatures of its own log (${origin})` }
    this.#logs.set(origin, peerDid)
    const lastText = await this.#witness.latest(origin)
    const last = lastText != null ? parseCheckpoint(lastText) : undefined
    const lastSize = last?.ok === true ? last.value.size : undefined
    if (lastSize != null && req.from !== lastSize && parsed.value.size !== lastSize) {
      return { v: 1, ok: false, code: 'WRONG_FROM', message: `the proof must start at size ${lastSize}, the last one cosigned here`, size: lastSize }
    }
    const proof = req.proof.map(h => new Uint8Array(Buffer.from(h, 'base64')))
    const r = await this.#witness.cosign(req.checkpoint, proof)
    if (!r.ok) return { v: 1, ok: false, code: r.error.code, message: r.error.message, ...(lastSize != null ? { size: lastSize } : {}) }
    // our view advanced: every checkpoint of this log seen through gossip is compared again
    // (in the background: asking the owner for proofs must not hold up this reply)
    void this.recompare(origin, { signal: AbortSignal.timeout(RECOMPARE_TIMEOUT_MS) }).catch(err => { this.#o.logger.warn('re-comparing gossiped checkpoints failed', { origin, error: (err as Error).message }) })
    return { v: 1, ok: true, cosigned: r.value.cosigned }
  }

  /** Compare every gossiped checkpoint kept for `origin` with our latest cosigned one. */
  async recompare (origin: string, options: { signal?: AbortSignal } = {}): Promise<Equivocation[]> {
    const found: Equivocation[] = []
    for (const text of [...(this.#observed.get(origin) ?? [])]) {
      const r = await this.observe(text, options)
      if (r.equivocation != null) found.push(r.equivocation)
    }
    return found
  }

  #keep (origin: string, text: string): void {
    const list = this.#observed.get(origin) ?? []
    if (list.includes(text)) return
    list.push(text)
    if (list.length > MAX_OBSERVED_PER_LOG) this.#unanswered.delete(list.shift() as string)
    this.#observed.set(origin, list)
  }

  #forget (origin: string, text: string): void {
    const list = this.#observed.get(origin)
    if (list == null) return
    const i = list.indexOf(text)
    if (i >= 0) list.splice(i, 1)
    this.#unanswered.delete(text)
  }

  async #record (record: Equivocation): Promise<Equivocation> {
    const known = await this.#store.equivocations()
    if (!known.some(k => k.origin === record.origin && k.code === record.code && k.size === record.size && k.sizes?.[0] === record.sizes?.[0])) {
      await this.#store.addEquivocation(record)
      this.#report(record)
    }
    return record
  }

  /**
   * Checks a checkpoint of another node's log seen through gossip against the one kept here. One tree
   * size with two roots is an EQUIVOCATION; two sizes are compared with a consistency proof asked of
   * the log owner, and with none (or a proof that fails) they are INCONSISTENT: a split view. The
   * checkpoint is kept and compared again whenever our own view advances.
   */
  async observe (text: string, options: { signal?: AbortSignal } = {}): Promise<Result<'consistent' | 'unknown'> & { equivocation?: Equivocation }> {
    const parsed = parseCheckpoint(text)
    if (!parsed.ok) return parsed
    const m = NODE_ORIGIN.exec(parsed.value.origin)
    if (m == null) return fail('UNKNOWN_ORIGIN', `origin ${parsed.value.origin} names no node key`)
    const did = m[1]
    if (did === this.#o.did) return ok('unknown')
    const v = verifyCheckpoint(text, { origin: parsed.value.origin, publicKeyOrDid: did })
    if (!v.ok) return v
    const origin = v.value.origin
    this.#keep(origin, text)
    const lastText = await this.#witness.latest(origin)
    if (lastText == null) return ok('unknown')
    const last = parseCheckpoint(lastText)
    if (!last.ok) return ok('unknown')
    if (last.value.size === v.value.size) {
      this.#forget(origin, text)
      if (equalBytes(last.value.root, v.value.root)) return ok('consistent')
      const record = await this.#record({ code: 'EQUIVOCATION', origin, size: v.value.size, evidence: [lastText, text], detectedAt: this.#o.clock.now() })
      return { ...fail('EQUIVOCATION', `${origin} signed two different trees of size ${record.size}`), equivocation: record }
    }
    // different sizes: only the owner can prove that the smaller is a prefix of the larger
    if (this.#o.proofOf == null) return ok('unknown')
    const [small, big] = last.value.size < v.value.size ? [last.value, v.value] : [v.value, last.value]
    let proof: Uint8Array[] | undefined
    try {
      proof = await this.#o.proofOf(did, small.size, big.size, options)
    } catch (err) {
      // the owner could not be reached (not connected, timeout): asked again when our view next
      // advances, and a split view only after it stayed unanswered that many times
      const tries = (this.#unanswered.get(text) ?? 0) + 1
      this.#unanswered.set(text, tries)
      this.#o.logger.warn('no consistency proof from the log owner', { origin, from: small.size, to: big.size, tries, error: (err as Error).message })
      if (tries < MAX_UNANSWERED) return ok('unknown')
    }
    this.#unanswered.delete(text)
    const compared = compareCheckpoints(small, big, proof ?? [])
    this.#forget(origin, text)
    if (compared.ok) return ok('consistent')
    const why = proof == null ? 'the owner gave no consistency proof' : 'the owner\'s consistency proof does not hold'
    const record = await this.#record({ code: 'INCONSISTENT', origin, size: big.size, sizes: [small.size, big.size], evidence: [lastText, text], detectedAt: this.#o.clock.now() })
    return { ...fail('INCONSISTENT', `${origin}: trees of size ${small.size} and ${big.size} are not proven consistent (${why}): split view`), equivocation: record }
  }

  async latest (origin: string): Promise<string | undefined> {
    return await this.#witness.latest(origin)
  }

  async equivocations (): Promise<Equivocation[]> {
    return await this.#store.equivocations()
  }

  /** Logs this witness has cosigned, with the size last cosigned. */
  logs (): string[] {
    return [...this.#logs.keys()]
  }
}
