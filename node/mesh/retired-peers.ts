/**
 * Partners' node PeerIds retired by a node key rotation, persisted. A partner's NodeCredential that
 * names earlier PeerIds (`credentialSubject.replaces`, signed by its org key) retires them from the
 * credential's issue time: a hello from a retired PeerId is refused with KEY_RETIRED, even with a
 * NodeCredential its org issued before the rotation. A retirement counts only for the org that made
 * it (and that org under later org keys): an org cannot retire another org's node by naming its PeerId.
 */
import { fail, ok, type Result } from '../../identity/result.js'
import { KEY_RETIRED } from '../../identity/successor-record.js'
import type { Repository } from '../store/repository.js'

export interface RetiredPeer {
  peerId: string
  /** The org whose NodeCredential retired it. */
  orgDid: string
  /** Seconds: the iat of that NodeCredential. */
  at: number
  /** The PeerId that replaced it. */
  by: string
}

/** Retired PeerIds kept per org: past this the oldest go (an org's own old nodes only; no other org's). */
export const MAX_RETIRED_PER_ORG = 64

export class RetiredPeers {
  readonly #repo: Repository<RetiredPeer>
  readonly #sameOrg: (a: string, b: string) => boolean
  /** Retirements of a PeerId, one per org that made one (an org naming another org's PeerId squats nothing). */
  readonly #byPeer = new Map<string, RetiredPeer[]>()

  constructor (deps: { repo: Repository<RetiredPeer>, sameOrg?: (a: string, b: string) => boolean }) {
    this.#repo = deps.repo
    this.#sameOrg = deps.sameOrg ?? ((a, b) => a === b)
  }

  async load (): Promise<void> {
    for (const [, v] of await this.#repo.list()) this.#byPeer.set(v.peerId, [...(this.#byPeer.get(v.peerId) ?? []), v])
  }

  /** The retirement of `peerId` by `orgDid` (or that org under another of its DIDs). */
  get (peerId: string, orgDid: string): RetiredPeer | undefined {
    return this.#byPeer.get(peerId)?.find(r => this.#sameOrg(r.orgDid, orgDid))
  }

  /** Refuse a hello from `peerId` for `orgDid` when that org retired it. */
  check (peerId: string, orgDid: string): Result<true> {
    const r = this.get(peerId, orgDid)
    if (r == null) return ok(true)
    return fail(KEY_RETIRED, `node PeerId ${peerId} was retired by its org ${orgDid} at ${new Date(r.at * 1000).toISOString()} (node key rotated; the node is now ${r.by})`)
  }

  /**
   * Record the PeerIds a verified NodeCredential of `orgDid` (for `by`, issued at `at`) replaces; returns
   * those retired by this call. A PeerId the same org already retired keeps its first record.
   */
  async retire (orgDid: string, by: string, at: number, peerIds: readonly string[]): Promise<string[]> {
    const added: string[] = []
    for (const peerId of peerIds) {
      if (peerId === by || this.get(peerId, orgDid) != null) continue
      const r: RetiredPeer = { peerId, orgDid, at, by }
      await this.#repo.put(`${peerId} ${orgDid}`, r)
      this.#byPeer.set(peerId, [...(this.#byPeer.get(peerId) ?? []), r])
      added.push(peerId)
    }
    if (added.length > 0) await this.#bound(orgDid)
    return added
  }

  /** Storage stays bounded per org: a partner naming made-up PeerIds at every hello evicts only its own. */
  async #bound (orgDid: string): Promise<void> {
    const mine = [...this.#byPeer.values()].flat().filter(r => this.#sameOrg(r.orgDid, orgDid)).sort((a, b) => a.at - b.at)
    for (const r of mine.slice(0, Math.max(0, mine.length - MAX_RETIRED_PER_ORG))) {
      await this.#repo.del(`${r.peerId} ${r.orgDid}`)
      const left = (this.#byPeer.get(r.peerId) ?? []).filter(x => x !== r)
      if (left.length > 0) this.#byPeer.set(r.peerId, left)
      else this.#byPeer.delete(r.peerId)
    }
  }
}
