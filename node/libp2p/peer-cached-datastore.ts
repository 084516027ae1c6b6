/**
 * libp2p's datastore in the node's LevelDB, with the peer store's records also held in memory.
 * libp2p 3 reads and rewrites the remote peer's record (a LevelDB get and put, its `updated` time
 * always new) on every stream it opens or accepts, on both sides: in the B12 profile that was the
 * largest single cost of a task after waiting (about 5 s of 46 s per node). Here a known peer record
 * is read from memory; writes still go through at once (not synced), because writing them behind
 * (at most once a second) broke `peer remove`'s later refused redials in test/process/two-nodes
 * (cause not found yet). Every other key goes straight through.
 */
import { LevelDatastore } from 'datastore-level'
import type { Key } from 'interface-datastore'
import type { AbortOptions } from 'abort-error'

const PEERS_PREFIX = '/peers/'
const MAX_CACHED = 10_000

export class PeerCachedDatastore extends LevelDatastore {
  readonly #records = new Map<string, Uint8Array>()

  override async put (key: Key, value: Uint8Array, options?: AbortOptions): Promise<Key> {
    const k = key.toString()
    if (!k.startsWith(PEERS_PREFIX)) return await super.put(key, value, options)
    if (this.#records.size >= MAX_CACHED && !this.#records.has(k)) this.#records.clear()
    this.#records.set(k, value)
    return await super.put(key, value, options)
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
    await super.delete(key, options)
  }
}
