/**
 * The audit protocol at both ends (`/trustmesh/audit/1.0.0`): as log owner, ask each hello-verified
 * peer node to cosign our latest checkpoint and keep the cosignatures it returns; as witness, answer
 * such requests through the WitnessService. The peer's node DID always comes from the PeerId of the
 * verified connection, never from the message.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { originForDid, parseCheckpoint } from '../../../audit/index.js'
import { AUDIT_TIMEOUT_MS, createAuditHandler, nodeDidOfPeer, requestCosign, type CosignReply } from '../../../protocols/audit/index.js'
import type { Logger } from '../../../identity/logger.js'
import type { AuditService } from './audit-service.js'
import type { WitnessService } from './witness-service.js'

export interface CosignOutcome {
  peer: string
  did: string
  ok: boolean
  code?: string
  message?: string
  size?: number
}

export { nodeDidOfPeer }

export interface AuditExchangeOptions {
  readonly service: AuditService
  readonly witness: WitnessService
  readonly logger: Logger
  /** Opens a stream of the audit protocol on a verified connection. */
  readonly newStream: (connection: Connection, signal: AbortSignal) => Promise<Stream>
  /** Called with each checkpoint this node cosigned as witness (to gossip it to the other witnesses). */
  readonly onCosigned?: (cosigned: string) => void
}

export class AuditExchange {
  readonly #o: AuditExchangeOptions
  readonly #serve: (stream: Stream, connection: Connection) => Promise<void>

  constructor (options: AuditExchangeOptions) {
    this.#o = options
    this.#serve = createAuditHandler({
      cosign: async (req, did) => await options.witness.handle(req, did),
      logger: options.logger,
      onCosigned: (cosigned) => { options.onCosigned?.(cosigned) }
    })
  }

  /** Inbound request (we are the witness). */
  async serve (stream: Stream, connection: Connection): Promise<void> {
    await this.#serve(stream, connection)
  }

  async #ask (connection: Connection, checkpoint: string, from: number, size: number): Promise<CosignReply> {
    const proof = from > 0 && from < size ? await this.#o.service.log.consistencyProof(from, size) : []
    const signal = AbortSignal.timeout(AUDIT_TIMEOUT_MS)
    const stream = await this.#o.newStream(connection, signal)
    return await requestCosign(stream, { v: 1, checkpoint, from, proof: proof.map(h => Buffer.from(h).toString('base64')) }, { signal })
  }

  /** Asks the node behind `connection` to cosign `checkpoint` (our latest); keeps a valid cosignature. */
  async requestCosignature (connection: Connection, checkpoint: string): Promise<CosignOutcome> {
    const peer = connection.remotePeer.toString()
    const did = nodeDidOfPeer(peer)
    if (did == null) return { peer, did: '', ok: false, code: 'UNKNOWN_NODE_KEY', message: 'the peer id holds no Ed25519 key' }
    const cp = parseCheckpoint(checkpoint)
    if (!cp.ok) return { peer, did, ok: false, code: cp.error.code, message: cp.error.message }
    const size = cp.value.size
    try {
      const known = await this.#o.service.cosignerRecord(did)
      let from = known != null && known.size <= size ? known.size : 0
      let reply = await this.#ask(connection, checkpoint, from, size)
      // the witness remembers a different size than we do (it lost state, or we did): one retry from there
      if (!reply.ok && reply.size != null && reply.size !== from && reply.size <= size) {
        from = reply.size
        reply = await this.#ask(connection, checkpoint, from, size)
      }
      if (!reply.ok || reply.cosigned == null) {
        this.#o.logger.warn('audit checkpoint not cosigned', { peer, code: reply.code, error: reply.message })
        return { peer, did, ok: false, code: reply.code ?? 'REFUSED', message: reply.message ?? 'refused' }
      }
      const kept = await this.#o.service.addCosignature({ did, name: originForDid(did) }, reply.cosigned)
      if (!kept.ok) return { peer, did, ok: false, code: kept.error.code, message: kept.error.message }
      return { peer, did, ok: true, size }
    } catch (err) {
      return { peer, did, ok: false, code: (err as { code?: string }).code ?? 'AUDIT_EXCHANGE_FAILED', message: (err as Error).message }
    }
  }
}
