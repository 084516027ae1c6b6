/**
 * The policy protocol at both ends: serve the documents this node holds by digest, and fetch a
 * carried policy from peers when a chain names a digest this node does not know. Peers whose hello
 * advertised that digest are asked first, then every other connected partner; the first answer that
 * validates and hashes to the digest wins. Concurrent needs for one digest share one fetch.
 */
import type { Components } from '../../components.js'
import { POLICY_MAX_INBOUND_STREAMS, POLICY_PROTOCOL, POLICY_TIMEOUT_MS, createPolicyHandler, requestPolicy } from '../../../protocols/policy/index.js'
import { canonicalPolicy, isPolicyDigest } from '../../../authz/index.js'
import type { PolicyBook } from './policy-book.js'

export class PolicyExchange {
  readonly #ctx: Pick<Components, 'clock' | 'logger' | 'mesh' | 'policy' | 'registry'>
  readonly #book: PolicyBook
  readonly #inflight = new Map<string, Promise<boolean>>()

  constructor (ctx: Pick<Components, 'clock' | 'logger' | 'mesh' | 'policy' | 'registry'>, book: PolicyBook) {
    this.#ctx = ctx
    this.#book = book
  }

  async start (): Promise<void> {
    await this.#ctx.mesh.handle(POLICY_PROTOCOL, createPolicyHandler({ lookupPolicy: (digest) => this.canonical(digest) }), { maxInboundStreams: POLICY_MAX_INBOUND_STREAMS })
  }

  /** Canonical text for a digest this node can vouch for: its current policy or one it verified. */
  canonical (digest: string): string | undefined {
    const local = this.#ctx.policy.get()
    if (digest === local.digest) return canonicalPolicy(local.policy)
    return this.#book.canonical(digest)
  }

  /** Make sure `digest` is known here; false when no peer could supply a valid document. */
  async ensure (digest: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    if (!isPolicyDigest(digest)) return false
    if (digest === this.#ctx.policy.get().digest || this.#book.has(digest)) return true
    let p = this.#inflight.get(digest)
    if (p == null) {
      p = this.#fetch(digest, options.signal).finally(() => this.#inflight.delete(digest))
      this.#inflight.set(digest, p)
    }
    return await p
  }

  async #fetch (digest: string, outer?: AbortSignal): Promise<boolean> {
    const peers = this.#ctx.registry.peers()
    const orgs = [...new Set([...peers.filter(p => p.policyDigest === digest), ...peers].map(p => p.orgDid))]
    for (const org of orgs) {
      if (outer?.aborted === true) return false
      const signal = outer != null ? AbortSignal.any([outer, AbortSignal.timeout(POLICY_TIMEOUT_MS)]) : AbortSignal.timeout(POLICY_TIMEOUT_MS)
      try {
        const stream = await this.#ctx.mesh.openStream(org, POLICY_PROTOCOL, { signal })
        const reply = await requestPolicy(stream, digest, { signal })
        if (!reply.found || reply.policy == null) continue
        const added = await this.#book.addFetched(digest, reply.policy, org, this.#ctx.clock.now())
        if (added.ok) {
          this.#ctx.logger.info('carried policy fetched', { digest, from: org })
          return true
        }
        this.#ctx.logger.warn('peer served a bad policy document', { digest, from: org, code: added.error.code, error: added.error.message })
      } catch (err) {
        this.#ctx.logger.debug('policy fetch failed', { digest, from: org, error: (err as Error).message })
      }
    }
    return false
  }
}
