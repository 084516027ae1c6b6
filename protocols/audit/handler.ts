/**
 * The witness end of the audit protocol: read one cosign request and answer it through `cosign`.
 * The asking node's DID always comes from the PeerId of the connection, never from the message.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { didKeyFromPublicKey } from '../../identity/did-key.js'
import { publicKeyFromPeerIdString } from '../../identity/peer-id.js'
import type { Logger } from '../../identity/logger.js'
import { serveRequest } from '../request-response.js'
import { AUDIT_MAX_BYTES, AUDIT_TIMEOUT_MS, cosignRequestSchema, type CosignReply, type CosignRequest } from './messages.js'

/** The did:key of the node behind a PeerId (undefined when the PeerId holds no Ed25519 key). */
export function nodeDidOfPeer (peerId: string): string | undefined {
  const pub = publicKeyFromPeerIdString(peerId)
  return pub.ok ? didKeyFromPublicKey(pub.value) : undefined
}

export interface AuditHandlerComponents {
  /** Check the request against what this witness cosigned before and answer it. */
  cosign: (request: CosignRequest, ownerDid: string) => Promise<CosignReply>
  logger: Pick<Logger, 'warn'>
  /** Called with each checkpoint this node cosigned (to gossip it to the other witnesses). */
  onCosigned?: (cosigned: string) => void
}

export function createAuditHandler (components: AuditHandlerComponents, options: { timeoutMs?: number } = {}): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const served = await serveRequest(stream, AUDIT_MAX_BYTES, cosignRequestSchema, options.timeoutMs ?? AUDIT_TIMEOUT_MS, async (req): Promise<CosignReply> => {
      const did = nodeDidOfPeer(connection.remotePeer.toString())
      return did == null
        ? { v: 1, ok: false, code: 'UNKNOWN_NODE_KEY', message: 'the peer id holds no Ed25519 key' }
        : await components.cosign(req, did)
    })
    if (!served.ok) components.logger.warn('bad audit stream', { peer: connection.remotePeer.toString(), error: served.error.message })
    else if (served.reply.ok && served.reply.cosigned != null) components.onCosigned?.(served.reply.cosigned)
  }
}
