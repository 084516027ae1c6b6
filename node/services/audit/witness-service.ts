/**
 * This node as a witness of its partners' audit logs. A log owner asks for a cosignature of its
 * checkpoint with a consistency proof from the size this witness last cosigned; the witness (the
 * pure `Witness` of node/audit) checks signature and consistency before it signs and keeps a copy.
 * Checkpoints of the same log seen through gossip (cosigned by other witnesses) are compared with
 * the one kept here: one tree size with two roots is an equivocation, stored with both signed texts
 * as evidence and reported.
 */
import {
  LevelWitnessStore, Witness, originForDid, parseCheckpoint, verifyCheckpoint,
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
}

const NODE_ORIGIN = /^trustmesh\/(did:key:z[1-9A-HJ-NP-Za-km-z]+)$/

export class WitnessService {
  /** The name our cosignature lines carry. */
  readonly name: string
  readonly #o: WitnessServiceOptions
  readonly #store: LevelWitnessStore
  readonly #logs = new Map<string, string>()
  readonly #witness: Witness

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
    return { v: 1, ok: true, cosigned: r.value.cosigned }
  }

  /**
   * Checks a checkpoint of another node's log seen through gossip against the one kept here. Returns
   * the equivocation when one tree size has two roots (both texts verify under the node's key).
   */
  async observe (text: string): Promise<Result<'consistent' | 'unknown'> & { equivocation?: Equivocation }> {
    const parsed = parseCheckpoint(text)
    if (!parsed.ok) return parsed
    const m = NODE_ORIGIN.exec(parsed.value.origin)
    if (m == null) return fail('UNKNOWN_ORIGIN', `origin ${parsed.value.origin} names no node key`)
    const did = m[1]
    if (did === this.#o.did) return ok('unknown')
    const v = verifyCheckpoint(text, { origin: parsed.value.origin, publicKeyOrDid: did })
    if (!v.ok) return v
    const lastText = await this.#witness.latest(parsed.value.origin)
    if (lastText == null) return ok('unknown')
    const last = parseCheckpoint(lastText)
    if (!last.ok || last.value.size !== v.value.size) return ok('unknown')
    if (equalBytes(last.value.root, v.value.root)) return ok('consistent')
    const record: Equivocation = { code: 'EQUIVOCATION', origin: v.value.origin, size: v.value.size, evidence: [lastText, text], detectedAt: this.#o.clock.now() }
    const known = await this.#store.equivocations()
    if (!known.some(k => k.origin === record.origin && k.size === record.size)) {
      await this.#store.addEquivocation(record)
      this.#report(record)
    }
    return { ...fail('EQUIVOCATION', `${record.origin} signed two different trees of size ${record.size}`), equivocation: record }
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
