/**
 * Which live connections have completed hello, and for which org; plus the refusal list the
 * connection gater consults (PeerIds that failed hello back off for a while; PeerIds of removed orgs
 * stay refused until the org is enrolled again). In memory: hello runs again on every connection.
 */
import type { Clock } from '../../identity/clock.js'
import type { VerifiedHello } from './verify-hello.js'

export interface RefusalEntry { reason: string, until: number }

export class PeerRegistry {
  readonly #byConnection = new Map<string, VerifiedHello & { connectedAt: number }>()
  readonly #refused = new Map<string, RefusalEntry>()
  readonly #clock: Clock

  constructor (clock: Clock) {
    this.#clock = clock
  }

  markVerified (connectionId: string, peer: VerifiedHello): void {
    // a repeated hello on the same connection (a renewed credential) keeps the connection's age
    this.#byConnection.set(connectionId, { ...peer, connectedAt: this.#byConnection.get(connectionId)?.connectedAt ?? this.#clock.now() })
    this.#refused.delete(peer.peerId)
  }

  connectionClosed (connectionId: string): void {
    this.#byConnection.delete(connectionId)
  }

  isVerified (connectionId: string): boolean {
    return this.#byConnection.has(connectionId)
  }

  get (connectionId: string): (VerifiedHello & { connectedAt: number }) | undefined {
    return this.#byConnection.get(connectionId)
  }

  /** Verified peers, one entry per PeerId (the oldest connection). */
  peers (): Array<VerifiedHello & { connectedAt: number }> {
    const seen = new Map<string, VerifiedHello & { connectedAt: number }>()
    for (const p of this.#byConnection.values()) {
      const prev = seen.get(p.peerId)
      if (prev == null || p.connectedAt < prev.connectedAt) seen.set(p.peerId, p)
    }
    return [...seen.values()]
  }

  peersOfOrg (orgDid: string): string[] {
    return [...new Set([...this.#byConnection.values()].filter(p => p.orgDid === orgDid).map(p => p.peerId))]
  }

  orgOfPeer (peerId: string): string | undefined {
    for (const p of this.#byConnection.values()) if (p.peerId === peerId) return p.orgDid
    return undefined
  }

  refuse (peerId: string, reason: string, forMs: number): void {
    this.#refused.set(peerId, { reason, until: this.#clock.now() + forMs })
  }

  isRefused (peerId: string): RefusalEntry | undefined {
    const r = this.#refused.get(peerId)
    if (r == null) return undefined
    if (r.until <= this.#clock.now()) {
      this.#refused.delete(peerId)
      return undefined
    }
    return r
  }

  /** Lift refusals, e.g. after `peer add` so a newly enrolled org can connect at once. */
  clearRefusals (): void {
    this.#refused.clear()
  }
}
