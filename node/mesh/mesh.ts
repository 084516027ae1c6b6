/**
 * The mesh component: runs hello on every connection, serves trustmesh protocols only on connections
 * that completed it, closes provisional connections that do not complete it in time, keeps enrolled
 * partners and static peers connected, and opens streams to a partner org's verified node.
 */
import { randomInt } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Stream, StreamHandler, StreamHandlerOptions, ConnectionGater, PeerId } from '@libp2p/interface'
import type { Clock } from '../../identity/clock.js'
import type { Logger } from '../../identity/logger.js'
import type { MeshLibp2p } from '../libp2p/create-libp2p.js'
import { isDialableLanAddress } from '../libp2p/lan-only.js'
import { ProtocolError } from '../../protocols/codec.js'
import {
  HELLO_MAX_INBOUND_STREAMS, HELLO_PROTOCOL, HELLO_TIMEOUT_MS, handleHello, requestHello, verifyHello,
  type HelloComponents, type HelloMessage, type VerifyHelloOptions, type VerifiedHello
} from '../../protocols/hello/index.js'
import type { PeerRegistry } from './peer-registry.js'
import type { Result } from '../../identity/result.js'
import { KEY_RETIRED } from '../../identity/successor-record.js'
import type { Enrolment } from './enrolments.js'

/** How long a PeerId that failed hello is refused by the gater. */
export const HELLO_FAILURE_BACKOFF_MS = 30_000
/** PeerIds of removed orgs stay refused this long (or until the org is enrolled again). */
export const REMOVED_ORG_REFUSAL_MS = 365 * 24 * 3600_000
/** How often the mesh looks for enrolled partners without a verified connection. */
export const REDIAL_INTERVAL_MS = 1_000
/**
 * Longest wait between two dials of an address while a partner is down: backoff doubles from 1 s up
 * to this, each wait drawn in [half, whole] (jitter, so nodes that lost each other do not redial in
 * lockstep). A partner that dials us or is rediscovered is dialled at once, whatever the backoff.
 */
export const MAX_REDIAL_BACKOFF_MS = 8_000
export const DEFAULT_DIAL_TIMEOUT_MS = 5_000
/**
 * What the mesh promises: a partner that is back and reachable is connected and verified within this
 * long (one full backoff, one redial tick, one dial, one hello). Tests derive their waits from it.
 */
export const RECONNECT_WITHIN_MS = MAX_REDIAL_BACKOFF_MS + REDIAL_INTERVAL_MS + DEFAULT_DIAL_TIMEOUT_MS + HELLO_TIMEOUT_MS

export class PeerUnreachableError extends Error {
  override readonly name = 'PeerUnreachableError'
  readonly code = 'PEER_UNREACHABLE'
}

export interface MeshComponents {
  libp2p: MeshLibp2p
  registry: PeerRegistry
  enrolments: { get: (orgDid: string) => Enrolment | undefined, list: () => Enrolment[] }
  clock: Clock
  logger: Logger
  localHello: () => HelloMessage
  verifySpiffe?: VerifyHelloOptions['verifySpiffe']
  staticPeers?: string[]
  onPeerVerified?: (peer: VerifiedHello, connection: Connection) => void
  /** Org key rotations: follow a hello's successor records from an enrolled DID; when keys were retired. */
  successors?: { follow: (did: string, records: readonly string[]) => Enrolment | undefined, retiredAt: (did: string) => number | undefined, current: (did: string) => string }
  /** Node key rotations: PeerIds an org retired are refused in hello; a NodeCredential's `replaces` retires them. */
  retiredPeers?: { check: (peerId: string, orgDid: string) => Result<true>, retire: (orgDid: string, by: string, at: number, peerIds: readonly string[]) => Promise<string[]> }
  dialTimeoutMs?: number
  helloTimeoutMs?: number
  /** Uniform in [0, 1): the jitter of redial backoffs (default from node:crypto's randomInt). */
  random?: () => number
}

/** A gater that consults the registry's refusals and allows only literal LAN/loopback addresses. */
export function createConnectionGater (registry: PeerRegistry): ConnectionGater {
  const refused = (peerId: PeerId): boolean => registry.isRefused(peerId.toString()) != null
  return {
    denyDialPeer: refused,
    denyInboundEncryptedConnection: refused,
    denyOutboundEncryptedConnection: refused,
    denyDialMultiaddr: (ma) => !isDialableLanAddress(ma)
  }
}

export class Mesh {
  readonly #c: MeshComponents
  readonly #log: Logger
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  readonly #dialing = new Set<string>()
  readonly #nextDial = new Map<string, { at: number, backoff: number }>()
  readonly #staticPeerIds = new Map<string, string>()
  readonly #verifiedListeners = new Set<(peer: VerifiedHello, connection: Connection) => void>()
  #interval?: ReturnType<typeof setInterval>
  #started = false

  constructor (components: MeshComponents) {
    this.#c = components
    this.#log = components.logger
  }

  async start (): Promise<void> {
    if (this.#started) return
    this.#started = true
    const { libp2p } = this.#c
    await libp2p.handle(HELLO_PROTOCOL, (stream, connection) => this.#respondHello(stream, connection), { maxInboundStreams: HELLO_MAX_INBOUND_STREAMS, maxOutboundStreams: HELLO_MAX_INBOUND_STREAMS })
    libp2p.addEventListener('connection:open', this.#onOpen)
    libp2p.addEventListener('connection:close', this.#onClose)
    libp2p.addEventListener('peer:discovery', this.#onDiscovery)
    this.#interval = setInterval(() => { this.redial() }, REDIAL_INTERVAL_MS)
    this.#interval.unref()
    this.redial()
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    const { libp2p } = this.#c
    libp2p.removeEventListener('connection:open', this.#onOpen)
    libp2p.removeEventListener('connection:close', this.#onClose)
    libp2p.removeEventListener('peer:discovery', this.#onDiscovery)
    if (this.#interval != null) clearInterval(this.#interval)
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
  }

  /**
   * Register a trustmesh protocol that is served only on connections that completed hello. The check
   * wraps the handler rather than using libp2p's `use()` middleware, whose registrar hands out its
   * stored middleware array and appends a handler to it on every inbound stream.
   */
  async handle (protocol: string, handler: StreamHandler, options: StreamHandlerOptions = {}): Promise<void> {
    await this.#c.libp2p.handle(protocol, async (stream, connection) => {
      if (!this.#c.registry.isVerified(connection.id)) {
        this.#log.warn('stream refused before hello', { protocol, peer: connection.remotePeer.toString() })
        stream.abort(new ProtocolError('HELLO_REQUIRED', `${protocol} is served only after hello`))
        return
      }
      await handler(stream, connection)
    }, options)
  }

  /** A verified connection to a node of `orgDid`, dialling its enrolled addresses if needed. */
  async connectionToOrg (orgDid: string, options: { signal?: AbortSignal } = {}): Promise<Connection> {
    const found = this.#verifiedConnection(orgDid)
    if (found != null) return found
    const e = this.#c.enrolments.get(orgDid)
    if (e == null) throw new PeerUnreachableError(`org ${orgDid} is not enrolled`)
    const signal = options.signal ?? AbortSignal.timeout(this.#c.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS)
    for (const a of e.addrs) {
      try {
        this.#log.debug('dialling', { addr: a })
        await this.#c.libp2p.dial(multiaddr(a), { signal })
      } catch (err) {
        this.#log.debug('dial failed', { addr: a, error: (err as Error).message })
      }
    }
    // hello runs asynchronously after the connection opens: wait for it, bounded by the signal
    while (!signal.aborted) {
      const c = this.#verifiedConnection(orgDid)
      if (c != null) return c
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    throw new PeerUnreachableError(`no verified connection to org ${orgDid} (tried ${e.addrs.length} address(es))`)
  }

  async openStream (orgDid: string, protocol: string, options: { signal?: AbortSignal } = {}): Promise<Stream> {
    const conn = await this.connectionToOrg(orgDid, options)
    return await conn.newStream(protocol, { signal: options.signal ?? AbortSignal.timeout(this.#c.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS) })
  }

  /** Cut off every node of an org at once and refuse its PeerIds from now on. */
  async disconnectOrg (orgDid: string): Promise<number> {
    const peers = this.#c.registry.peersOfOrg(orgDid)
    for (const p of peers) {
      this.#c.registry.refuse(p, `org ${orgDid} was removed`, REMOVED_ORG_REFUSAL_MS)
      for (const conn of this.#c.libp2p.getConnections()) {
        if (conn.remotePeer.toString() === p) conn.abort(new ProtocolError('ORG_REMOVED', 'org removed'))
      }
    }
    return peers.length
  }

  /** Dial enrolled orgs that have no verified connection and static peers not connected. */
  redial (): void {
    if (!this.#started) return
    for (const e of this.#c.enrolments.list()) {
      if (this.#verifiedConnection(e.orgDid) != null) continue
      for (const a of e.addrs) this.#dialAddr(a)
    }
    for (const a of this.#c.staticPeers ?? []) {
      const pid = this.#staticPeerIds.get(a)
      if (pid != null && this.#c.libp2p.getConnections().some(c => c.remotePeer.toString() === pid)) continue
      this.#dialAddr(a)
    }
  }

  #verifiedConnection (orgDid: string): Connection | undefined {
    // an org that rotated its key is reached under its current DID
    const peers = new Set(this.#c.registry.peersOfOrg(this.#c.successors?.current(orgDid) ?? orgDid))
    return this.#c.libp2p.getConnections().find(c => peers.has(c.remotePeer.toString()) && c.status === 'open' && this.#c.registry.isVerified(c.id))
  }

  #dialAddr (addr: string): void {
    const now = this.#c.clock.now()
    const next = this.#nextDial.get(addr)
    if (this.#dialing.has(addr) || (next != null && next.at > now)) return
    this.#dialing.add(addr)
    this.#log.debug('dialling', { addr })
    this.#c.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(this.#c.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS) })
      .then(conn => {
        this.#staticPeerIds.set(addr, conn.remotePeer.toString())
      })
      .catch(err => {
        const wait = this.#backOff(addr)
        this.#log.debug('dial failed', { addr, error: (err as Error).message, retryInMs: wait })
      })
      .finally(() => this.#dialing.delete(addr))
  }

  /**
   * Run hello again on every verified connection, so partners hold our current NodeCredential (after
   * a renewal) without reconnecting. Returns how many connections were re-helloed.
   */
  async rehello (): Promise<number> {
    const conns = this.#c.libp2p.getConnections().filter(c => c.status === 'open' && this.#c.registry.isVerified(c.id))
    await Promise.all(conns.map(async c => {
      await this.#initiateHello(c).catch(err => { this.#log.warn('re-hello failed', { peer: c.remotePeer.toString(), error: (err as Error).message }) })
    }))
    return conns.length
  }

  /** Subscribe to peers completing hello (catch-up exchanges start here). Returns an unsubscribe function. */
  onPeerVerified (listener: (peer: VerifiedHello, connection: Connection) => void): () => void {
    this.#verifiedListeners.add(listener)
    return () => { this.#verifiedListeners.delete(listener) }
  }

  /** One org under two DIDs: the same DID, or linked by successor records (an org key rotation). */
  sameOrg (a: string, b: string): boolean {
    return a === b || (this.#c.successors != null && this.#c.successors.current(a) === this.#c.successors.current(b))
  }

  /** The verified org behind a connection, if hello completed on it. */
  verifiedPeer (connectionId: string): VerifiedHello | undefined {
    return this.#c.registry.get(connectionId)
  }

  /** Double the backoff of `addr` (capped) and schedule its next dial with jitter; returns the wait, ms. */
  #backOff (addr: string): number {
    const prev = this.#nextDial.get(addr)
    const backoff = Math.min((prev?.backoff ?? REDIAL_INTERVAL_MS / 2) * 2, MAX_REDIAL_BACKOFF_MS)
    const random = this.#c.random ?? jitter
    const wait = Math.round(backoff * (0.5 + 0.5 * random()))
    this.#nextDial.set(addr, { at: this.#c.clock.now() + wait, backoff })
    return wait
  }

  /** Delay redials of every address that led to this PeerId (the remote refused us). */
  #backOffPeer (peerId: string): void {
    for (const [addr, pid] of this.#staticPeerIds) {
      if (pid === peerId) this.#backOff(addr)
    }
  }

  /** The partner behind `peerId` is back (it dialled us, or was rediscovered): forget its addresses' backoff. */
  #partnerBack (peerId: string): void {
    for (const [addr, pid] of this.#staticPeerIds) if (pid === peerId) this.#nextDial.delete(addr)
    for (const e of this.#c.enrolments.list()) {
      for (const addr of e.addrs) if (addr.endsWith(`/p2p/${peerId}`)) this.#nextDial.delete(addr)
    }
  }

  /** Forget dial backoffs, e.g. after an enrolment changed. */
  resetBackoff (): void {
    this.#nextDial.clear()
  }

  readonly #onOpen = (evt: CustomEvent<Connection>): void => {
    const conn = evt.detail
    if (conn.direction === 'inbound') this.#partnerBack(conn.remotePeer.toString())
    if (conn.direction === 'outbound') {
      this.#initiateHello(conn).catch(err => { this.#log.warn('hello failed', { peer: conn.remotePeer.toString(), error: (err as Error).message }) })
    }
    // either side: a connection that has not completed hello in time is closed
    const t = setTimeout(() => {
      this.#timers.delete(t)
      if (conn.status === 'open' && !this.#c.registry.isVerified(conn.id)) {
        this.#log.warn('closing connection: hello not completed in time', { peer: conn.remotePeer.toString() })
        this.#c.registry.refuse(conn.remotePeer.toString(), 'HELLO_TIMEOUT', HELLO_FAILURE_BACKOFF_MS)
        conn.abort(new ProtocolError('HELLO_TIMEOUT', 'hello not completed in time'))
      }
    }, this.#c.helloTimeoutMs ?? HELLO_TIMEOUT_MS)
    t.unref()
    this.#timers.add(t)
  }

  readonly #onClose = (evt: CustomEvent<Connection>): void => {
    this.#c.registry.connectionClosed(evt.detail.id)
  }

  readonly #onDiscovery = (evt: CustomEvent<{ id: PeerId, multiaddrs: Array<{ toString: () => string }> }>): void => {
    const { id, multiaddrs } = evt.detail
    if (id.equals(this.#c.libp2p.peerId)) return
    if (this.#c.libp2p.getConnections(id).length > 0 || this.#c.registry.isRefused(id.toString()) != null) return
    const addr = multiaddrs.map(m => m.toString()).find(m => /^\/ip4\/[^/]+\/tcp\//.test(m))
    if (addr == null) return
    this.#log.info('discovered peer on the LAN', { peer: id.toString(), addr })
    const full = addr.includes('/p2p/') ? addr : `${addr}/p2p/${id.toString()}`
    // rediscovered: it is back, so dial now rather than when a backoff says
    this.#partnerBack(id.toString())
    this.#nextDial.delete(full)
    this.#dialAddr(full)
  }

  #fail (conn: Connection, code: string, message: string): void {
    const peer = conn.remotePeer.toString()
    this.#log.warn('hello refused', { peer, code, reason: message })
    this.#c.registry.refuse(peer, code, HELLO_FAILURE_BACKOFF_MS)
    conn.abort(new ProtocolError(code, message))
  }

  /** Close a connection whose hello could not run, backing off redials without refusing the peer. */
  #giveUp (conn: Connection, code: string, message: string): void {
    this.#log.warn('hello did not complete', { peer: conn.remotePeer.toString(), code, reason: message })
    this.#backOffPeer(conn.remotePeer.toString())
    conn.abort(new ProtocolError(code, message))
  }

  #verify (hello: HelloMessage, conn: Connection): ReturnType<typeof verifyHello> {
    return verifyHello(hello, {
      remotePeerId: conn.remotePeer.toString(),
      clock: this.#c.clock,
      enrolledOrg: (did) => this.#c.enrolments.get(did) ?? this.#c.successors?.follow(did, hello.successors ?? []),
      verifySpiffe: this.#c.verifySpiffe,
      ...(this.#c.successors != null ? { retiredAt: this.#c.successors.retiredAt } : {}),
      ...(this.#c.retiredPeers != null ? { peerRetired: this.#c.retiredPeers.check } : {})
    })
  }

  /** A verified partner node replaced earlier PeerIds (node key rotation): refuse them and close their connections. */
  #retireReplaced (peer: VerifiedHello): void {
    const retiredPeers = this.#c.retiredPeers
    if (retiredPeers == null || peer.replaces == null || peer.replaces.length === 0) return
    retiredPeers.retire(peer.orgDid, peer.peerId, peer.credentialIssuedAt ?? Math.floor(this.#c.clock.now() / 1000), peer.replaces).then(added => {
      // the hello check refuses them from now on (durably, with KEY_RETIRED in the log); open connections close
      // only the connections of this org's own old nodes: naming another org's PeerId closes nothing
      const sameOrg = (org: string | undefined): boolean => org != null && this.sameOrg(org, peer.orgDid)
      for (const old of added) {
        if (!sameOrg(this.#c.registry.orgOfPeer(old))) continue
        for (const conn of this.#c.libp2p.getConnections().filter(c => c.remotePeer.toString() === old)) conn.abort(new ProtocolError(KEY_RETIRED, `node PeerId ${old} was retired by its org (now ${peer.peerId})`))
      }
      if (added.length > 0) this.#log.info('partner node key rotated: its old PeerIds are refused', { org: peer.orgDid, peer: peer.peerId, retired: added })
    }, (err: Error) => { this.#log.error('recording retired PeerIds failed', { org: peer.orgDid, error: err.message }) })
  }

  #accept (conn: Connection, peer: VerifiedHello): void {
    this.#c.registry.markVerified(conn.id, peer)
    this.#retireReplaced(peer)
    for (const [addr, pid] of this.#staticPeerIds) if (pid === peer.peerId) this.#nextDial.delete(addr)
    this.#log.info('peer verified', { peer: peer.peerId, org: peer.orgDid, name: peer.orgName, direction: conn.direction, ...(peer.spiffeId != null ? { spiffeId: peer.spiffeId } : {}) })
    this.#c.onPeerVerified?.(peer, conn)
    for (const l of this.#verifiedListeners) {
      try {
        l(peer, conn)
      } catch (err) {
        this.#log.warn('peer-verified listener failed', { error: (err as Error).message })
      }
    }
  }

  /** What the hello protocol needs for one connection. */
  #helloComponents (conn: Connection): HelloComponents {
    return {
      localHello: () => this.#c.localHello(),
      verify: (hello) => this.#verify(hello, conn),
      accept: (peer) => { this.#accept(conn, peer) }
    }
  }

  async #initiateHello (conn: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.#c.helloTimeoutMs ?? HELLO_TIMEOUT_MS)
    const outcome = await requestHello(conn, this.#helloComponents(conn), { signal })
    if (outcome.ok) return
    if (outcome.blame === 'peer') {
      this.#fail(conn, outcome.code, outcome.message)
    } else if (outcome.blame === 'refused') {
      // the peer did not misbehave: it does not (yet) accept us. Back off dialling it, refuse nothing.
      this.#log.warn('peer refused our hello', { peer: conn.remotePeer.toString(), code: outcome.code, reason: outcome.message })
      this.#backOffPeer(conn.remotePeer.toString())
      conn.abort(new ProtocolError(outcome.code, outcome.message))
    } else {
      // no stream (most often the remote's gater closed the connection), or a closed or silent one:
      // back off, but hold nothing against the peer
      this.#giveUp(conn, outcome.code, outcome.message)
    }
  }

  async #respondHello (stream: Stream, conn: Connection): Promise<void> {
    const outcome = await handleHello(stream, { ...this.#helloComponents(conn), logger: this.#log }, { timeoutMs: this.#c.helloTimeoutMs ?? HELLO_TIMEOUT_MS })
    if (!outcome.ok) this.#fail(conn, outcome.code, outcome.message)
  }
}

/** Uniform in [0, 1), from the system's CSPRNG (jitter only: nothing depends on it being secret). */
function jitter (): number {
  return randomInt(0, 1_000_000) / 1_000_000
}
