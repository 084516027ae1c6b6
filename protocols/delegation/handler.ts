/**
 * The receiving end of delegation delivery: read one delivery and hand it, with the org hello
 * verified on the connection, to `receive`, which checks the chain before storing anything.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { serveRequest } from '../request-response.js'
import { DELEGATION_MAX_BYTES, DELEGATION_TIMEOUT_MS, deliverySchema, type DelegationDelivery, type DeliveryReply } from './messages.js'

export interface DelegationHandlerComponents {
  /** Accept (or refuse) a delivered delegation; `fromOrg` is the verified org, or `unknown`. */
  receive: (delivery: DelegationDelivery, fromOrg: string) => Promise<DeliveryReply>
  verifiedOrgOf: (connection: Connection) => string | undefined
}

export function createDelegationHandler (components: DelegationHandlerComponents, options: { timeoutMs?: number } = {}): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    await serveRequest(stream, DELEGATION_MAX_BYTES, deliverySchema, options.timeoutMs ?? DELEGATION_TIMEOUT_MS,
      async (d) => await components.receive(d, components.verifiedOrgOf(connection) ?? 'unknown'))
  }
}
