/**
 * libp2p's datastore in the node's LevelDB, with the peer store's records held in memory and written
 * behind. libp2p 3 reads and rewrites the remote peer's record (a LevelDB get and put, its `updated`
 * time always new) on every stream it opens or accepts, on both sides: in the B12 profile that was
 * the largest single cost of a task after waiting (about 5 s of 46 s per node). Here a peer record
 * is read from memory once known, and changed records are written at most once per FLUSH_MS, and on
 * stop. The peer store is a cache of network facts that identify re-learns on reconnect; losing the
 * last second of it in a crash loses nothing a decision depends on. Every other key goes straight
 * through.
 */
import { LevelDatastore } from 'datastore-level'
import { Key, type Pair, type Query, type KeyQuery } from 'interface-datastore'
import type { AbortOptions } from 'abort-error'

const PEERS_PREFIX = '/peers/'
export const FLUSH_MS = 1_000
const MAX_CACHED = 10_000

export class PeerCachedDatastore extends LevelDatastore {
  readonly #records = new Map<string, Uint8Array>()
  readonly #dirty = new Set<string>()
  #timer: ReturnType<typeof setTimeout> | undefined

  override async put (key: Key, value: Uint8Array, options?: AbortOptions): Promise<Key> {
    const k = key.toString()
    if (!k.startsWith(PEERS_PREFIX)) return await super.put(key, value, options)
    if (this.#records.size >= MAX_CACHED && !this.#records.has(k)) await this.flush()
    if (this.#records.size >= MAX_CACHED) this.#records.clear()
    this.#records.set(k, value)
    this.#dirty.add(k)
    this.#timer ??= setTimeout(() => { this.#timer = undefined; void this.flush().catch(() => undefined) }, FLUSH_MS).unref()
    return key
  }

  override async get (key: Key, options?: AbortOptions): Promise<Uint8Array> {
    const k = key.toString()
    const hit = k.startsWith(PEERS_PREFIX) ? this.#records.get(k) : undefined
    if (hit != null) return hit
    const value = await super.get(key, options)
    if (k.startsWith(PEERS_PREFIX) && this.#records.size < MAX_CACHED) this.#records.set(k, value)
    return value
  }

  override async has (key: Key, options?: AbortOptions): Promise<boolean> {
    return this.#records.has(key.toString()) || await super.has(key, options)
  }

  override async delete (key: Key, options?: AbortOptions): Promise<void> {
    const k = key.toString()
    this.#records.delete(k)
    this.#dirty.delete(k)
    await super.delete(key, options)
  }

  override async * query (q: Query, options?: AbortOptions): AsyncGenerator<Pair> {
    await this.flush()
    yield * super.query(q, options)
  }

  override async * queryKeys (q: KeyQuery, options?: AbortOptions): AsyncGenerator<Key> {
    await this.flush()
    yield * super.queryKeys(q, options)
  }

  /** Writes the changed peer records (not synced: see the header). */
  async flush (): Promise<void> {
    if (this.#dirty.size === 0) return
    const keys = [...this.#dirty]
    this.#dirty.clear()
    const b = super.batch()
    for (const k of keys) {
      const v = this.#records.get(k)
      if (v != null) b.put(new Key(k), v)
    }
    await b.commit()
  }

  /** libp2p starts and stops the components that have both; stop writes what is still pending. */
  async start (): Promise<void> {}

  async stop (): Promise<void> {
    if (this.#timer != null) { clearTimeout(this.#timer); this.#timer = undefined }
    await this.flush()
  }
}
