/**
 * hello (`/trustmesh/hello/1.0.0`) wire messages and limits. The dialer sends a Hello; the listener
 * verifies it and answers with its own Hello or a refusal with a reason code.
 */
import { arrayOf, literal, object, schemaOf, str, bool } from '../schema.js'

export const HELLO_PROTOCOL = '/trustmesh/hello/1.0.0'
export const HELLO_MAX_BYTES = 64 * 1024
/** A provisional connection that has not completed hello by then is closed. */
export const HELLO_TIMEOUT_MS = 5_000
export const HELLO_MAX_INBOUND_STREAMS = 2
/** At most this many successor records (org key rotations) travel in one hello. */
export const MAX_HELLO_SUCCESSORS = 16

export interface SpiffeHello {
  /** X509-SVID chain, leaf first, base64 DER. */
  svidChain: string[]
  /** Org-signed statement binding the SPIFFE ID to the org DID and PeerId. */
  binding: string
}

export interface HelloMessage {
  v: 1
  nodeCredential: string
  orgName: string
  software: string
  policyDigest: string
  spiffe?: SpiffeHello
  /** Successor records leading from an org DID partners may know to the one that issued nodeCredential. */
  successors?: string[]
}

export type HelloReply = { ok: true, hello: HelloMessage } | { ok: false, code: string, message: string }

const helloShape = {
  v: literal(1),
  nodeCredential: str(16 * 1024),
  orgName: str(128),
  software: str(64),
  policyDigest: str(128),
  spiffe: object({ svidChain: arrayOf(str(16 * 1024), 8), binding: str(8 * 1024) }, { optional: true }),
  successors: arrayOf(str(4 * 1024), MAX_HELLO_SUCCESSORS, { optional: true })
}

export const helloSchema = schemaOf<HelloMessage>('hello', object(helloShape))

export const helloReplySchema = schemaOf<HelloReply>('helloReply', (v, p) => {
  if (v != null && typeof v === 'object' && (v as { ok?: unknown }).ok === true) {
    return object({ ok: bool(), hello: object(helloShape) })(v, p)
  }
  return object({ ok: literal(false), code: str(64), message: str(1024) })(v, p)
})
