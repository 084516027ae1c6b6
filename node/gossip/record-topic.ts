/**
 * What a gossiped record type declares to the record gossip: its topic, the sublevel its records are
 * persisted in, size bounds, and the validator that decides, before anything is stored or forwarded,
 * whether a record is acceptable (signature, issuer, expiry: whatever the record type requires).
 */
import type { Failure, Result } from '../../identity/result.js'
import type { SublevelName } from '../store/sublevels.js'
import type { StoreBatch } from '../store/batch.js'

/** The gossip topics of DESIGN.md section 3. */
export const RecordTopics = {
  revocations: '/trustmesh/revocations/1',
  trust: '/trustmesh/trust/1',
  audit: '/trustmesh/audit/1',
  /** Org key rotations (successor records), node/mesh/successor-topic.ts. */
  successors: '/trustmesh/successors/1'
} as const

export type RecordTopicName = typeof RecordTopics[keyof typeof RecordTopics]

export interface RecordValidationContext {
  /** Org of the verified peer the record came from (gossip propagation source or sync peer); absent for local publishes. */
  fromOrg?: string
  /** Milliseconds since the epoch (the injected clock). */
  now: number
}

export interface RecordTopic<T> {
  name: RecordTopicName
  /** Where accepted records are stored, keyed by id, as `StoredRecord`. The sublevel belongs to this topic alone. */
  sublevel: SublevelName
  /** Largest record accepted, in UTF-8 bytes; checked before `validate`. */
  maxBytes: number
  /** Most records of this topic one sync session pulls from one peer (bounds a flood; the next session continues). */
  maxRecords: number
  /** Pure check of one record; its id must be stable for the same record (e.g. its CID). */
  validate: (record: string, ctx: RecordValidationContext) => Result<{ id: string, value: T }>
  /**
   * Failure codes that mean "not usable by this node" rather than "bad record", e.g. an attestation by
   * an org this node has not enrolled: such records are ignored (not stored, no penalty for the sender,
   * and catch-up goes on) instead of rejected.
   */
  ignorable?: readonly string[]
  /**
   * Storage bounds (DESIGN.md section 11: a peer flooding validly signed records): at most `perPeer`
   * records of this topic received from one org, at most `perIssuer` signed by one issuer (the key
   * `issuerOf` names). Records over a cap are ignored: not stored, no penalty, sync goes on.
   */
  limits?: { perPeer: number, perIssuer: number }
  /** The quota key of a record's issuer (its signing DID, or a bucket such as parked records of one peer). */
  issuerOf?: (value: T) => string
  /**
   * Entries derived from the record (an index) to write in the same synced batch as the record, so
   * both are on disk or neither is: a record stored without its index would never be re-delivered.
   */
  stage?: (value: T, id: string, batch: StoreBatch) => void
  /**
   * The key that signed a record and when (seconds), for the KEY_RETIRED check: a record signed by a
   * retired org key after its successor record is ignored (not stored, not forwarded; the forwarder
   * may not know of the rotation yet). Default: the JWT's `iss` and `iat` (else `nbf`), so every JWT
   * topic is checked; `null` exempts the record (successor records are signed by the key they retire).
   */
  signedBy?: (value: T, record: string) => { issuer: string, signedAt?: number } | null
  /** Called once per record, after it is persisted (errors are logged; the record stays stored). */
  onAccept?: (value: T, id: string, record: string) => Promise<void>
}

/** The value persisted under the record id in the topic's sublevel. */
export interface StoredRecord {
  record: string
  /** When this node accepted it (ms). */
  receivedAt: number
  /** Org it came from; absent when published here. */
  fromOrg?: string
  /** Quota key of its issuer (see RecordTopic.issuerOf), for the per-issuer cap across restarts. */
  issuer?: string
}

/** Result of offering one record to a topic (from gossip, sync, or a local publish). */
export type IntakeOutcome =
  | { status: 'accepted', id: string }
  | { status: 'duplicate', id: string }
  | { status: 'invalid', error: Failure }
  | { status: 'ignored', error: Failure }

export class RecordGossipError extends Error {
  override readonly name = 'RecordGossipError'
  constructor (readonly code: 'UNKNOWN_TOPIC' | 'TOPIC_ALREADY_REGISTERED' | 'NOT_STARTED', message: string) {
    super(message)
  }
}
