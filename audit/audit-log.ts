/**
 * The append-only audit log, a RFC 6962 Merkle tree kept in one LevelDB sublevel handed in by the
 * node. A commit writes, in ONE atomic batch with `sync: true`, each entry's canonical bytes, every
 * perfect subtree its leaf completes (the leaf hash is the level-0 one) and the new tree state (size
 * and compact range). So an append costs O(log n) and proofs read O(log^2 n) stored subtree hashes.
 *
 * Group commit: appends that arrive while a commit is being synced wait and then share the next
 * synced batch (at most MAX_GROUP entries), so concurrent decisions cost one fsync together instead
 * of one each, and a lone append is written at once (no added latency). Every `append` still
 * resolves only after the batch holding its entry is durable: each entry is on disk before its
 * effect. If a batch fails the in-memory state does not move and every append in it is rejected
 * with AuditUnavailableError: each caller must deny the action it was about to take.
 *
 * Keys (string, in the sublevel given): `e:<index>` entry, `n:<level>:<index>` subtree hash,
 * `state` the tree state; indices are 13 hex digits so keys sort in index order.
 */
import { encodeEntry, decodeEntry, type AuditEntry, type AuditKind, type JsonValue } from './entry.js'
import {
  appendToFrontier, consistencyProofRanges, frontierLength, hashChildren, hashLeaf, inclusionProofRanges, rootFromFrontier,
  isPowerOfTwo, splitPoint, EMPTY_ROOT, HASH_SIZE
} from './merkle.js'
import type { Clock } from '../identity/clock.js'

/** The subset of an abstract-level database (a classic-level `Level` or a sublevel) the log uses. */
export interface AuditStore {
  readonly status: string
  get: (key: string, options: { keyEncoding: 'utf8', valueEncoding: 'utf8' }) => Promise<string | undefined>
  batch: (operations: Array<{ type: 'put', key: string, value: string }>, options: { keyEncoding: 'utf8', valueEncoding: 'utf8', sync: boolean }) => Promise<void>
}

export interface AuditEntryInput {
  readonly kind: AuditKind
  readonly subject: string
  readonly reason?: string
  readonly details?: { readonly [key: string]: JsonValue }
}

export interface AppendResult {
  readonly index: number
  readonly leafHash: Uint8Array
  readonly entry: AuditEntry
}

export class AuditUnavailableError extends Error {
  override readonly name = 'AuditUnavailableError'
  readonly code = 'AUDIT_UNAVAILABLE'
}

/** Stored data that contradicts itself (a missing node, a state of the wrong shape). */
export class AuditCorruptError extends Error {
  override readonly name = 'AuditCorruptError'
  readonly code = 'AUDIT_CORRUPT'
}

interface StoredState { size: number, frontier: string[] }

/** Most entries one synced batch holds; more waiting appends go in the next one. */
export const MAX_GROUP = 256

interface PendingAppend {
  readonly input: AuditEntryInput
  readonly resolve: (r: AppendResult) => void
  readonly reject: (err: Error) => void
}

const STATE_KEY = 'state'
const ENC = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const

function hex (n: number): string {
  return n.toString(16).padStart(13, '0')
}
export function entryKey (index: number): string {
  return `e:${hex(index)}`
}
export function nodeKey (level: number, index: number): string {
  return `n:${level.toString(16).padStart(2, '0')}:${hex(index)}`
}

function toB64 (b: Uint8Array): string {
  return Buffer.from(b).toString('base64')
}
function fromB64 (s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'))
}

export interface AuditLogOptions {
  readonly store: AuditStore
  readonly clock: Clock
}

export class AuditLog {
  readonly #store: AuditStore
  readonly #clock: Clock
  #size = 0
  #frontier: Uint8Array[] = []
  #pending: PendingAppend[] = []
  #committing = false
  #commits = 0

  private constructor (options: AuditLogOptions) {
    this.#store = options.store
    this.#clock = options.clock
  }

  /** Loads the tree state from the store (an empty log if there is none). */
  static async open (options: AuditLogOptions): Promise<AuditLog> {
    const log = new AuditLog(options)
    let raw: string | undefined
    try {
      raw = await options.store.get(STATE_KEY, ENC)
    } catch (err) {
      throw new AuditUnavailableError(`audit log state could not be read: ${(err as Error).message}`, { cause: err })
    }
    if (raw != null) {
      let state: StoredState
      try {
        state = JSON.parse(raw) as StoredState
      } catch {
        throw new AuditCorruptError('audit log state is not JSON')
      }
      if (!Number.isSafeInteger(state.size) || state.size < 0 || !Array.isArray(state.frontier) ||
        state.frontier.length !== frontierLength(state.size)) {
        throw new AuditCorruptError('audit log state does not match its size')
      }
      log.#size = state.size
      log.#frontier = state.frontier.map(fromB64)
      if (log.#frontier.some((h) => h.length !== HASH_SIZE)) throw new AuditCorruptError('audit log state holds a hash of the wrong length')
    }
    return log
  }

  size (): number {
    return this.#size
  }

  /** Root hash of the current tree, from the compact range (no reads). */
  root (): Uint8Array {
    return rootFromFrontier(this.#frontier)
  }

  /**
   * Size and root of the durable tree, taken together. Anything signed over the log must use this
   * one snapshot: a size read before an await and a root read after it can straddle a commit.
   */
  head (): { size: number, root: Uint8Array } {
    return { size: this.#size, root: rootFromFrontier(this.#frontier) }
  }

  /** Synced batches written so far (for tests and metrics: appends / commits is the group size). */
  commits (): number {
    return this.#commits
  }

  /**
   * Appends an entry and returns only after it is durably stored. Appends keep their call order;
   * the entry's seq is its index and its time comes from the injected clock when its batch is built.
   */
  async append (input: AuditEntryInput): Promise<AppendResult> {
    return await new Promise<AppendResult>((resolve, reject) => {
      this.#pending.push({ input, resolve, reject })
      if (!this.#committing) void this.#commitLoop()
    })
  }

  /** Writes the waiting appends, a group per synced batch, until none waits. */
  async #commitLoop (): Promise<void> {
    this.#committing = true
    try {
      while (this.#pending.length > 0) {
        const group = this.#pending.splice(0, MAX_GROUP)
        try {
          await this.#commit(group)
        } catch (err) { // a bug, not I/O: no append may be left waiting (settled ones ignore this)
          for (const p of group) p.reject(new AuditUnavailableError(`audit commit failed: ${(err as Error).message}`, { cause: err }))
        }
      }
    } finally {
      this.#committing = false
    }
  }

  async #commit (group: PendingAppend[]): Promise<void> {
    const frontier = [...this.#frontier]
    let size = this.#size
    const ops: Array<{ type: 'put', key: string, value: string }> = []
    const done: Array<{ p: PendingAppend, r: AppendResult }> = []
    for (const p of group) {
      const index = size
      const entry: AuditEntry = {
        seq: index,
        time: this.#clock.now(),
        kind: p.input.kind,
        subject: p.input.subject,
        ...(p.input.reason !== undefined ? { reason: p.input.reason } : {}),
        details: p.input.details ?? {}
      }
      let bytes: Uint8Array
      try {
        bytes = encodeEntry(entry)
      } catch (err) {
        p.reject(err as Error) // this entry only (InvalidEntryError); it takes no index
        continue
      }
      const leafHash = hashLeaf(bytes)
      const made = appendToFrontier(frontier, index, leafHash)
      ops.push({ type: 'put', key: entryKey(index), value: Buffer.from(bytes).toString('utf8') })
      for (const n of made) ops.push({ type: 'put', key: nodeKey(n.level, n.index), value: toB64(n.hash) })
      size = index + 1
      done.push({ p, r: { index, leafHash, entry } })
    }
    if (done.length === 0) return
    const state: StoredState = { size, frontier: frontier.map(toB64) }
    ops.push({ type: 'put', key: STATE_KEY, value: JSON.stringify(state) })
    try {
      if (this.#store.status !== 'open') throw new Error(`store is ${this.#store.status}`)
      await this.#store.batch(ops, { ...ENC, sync: true })
    } catch (err) {
      const first = done[0].r.index
      for (const { p } of done) p.reject(new AuditUnavailableError(`audit entries ${first}..${size - 1} could not be written: ${(err as Error).message}`, { cause: err }))
      return
    }
    this.#size = size
    this.#frontier = frontier
    this.#commits++
    for (const { p, r } of done) p.resolve(r)
  }

  async #read (key: string): Promise<string | undefined> {
    try {
      return await this.#store.get(key, ENC)
    } catch (err) {
      throw new AuditUnavailableError(`audit log could not be read: ${(err as Error).message}`, { cause: err })
    }
  }

  /** The canonical bytes of entry `index` as stored (not checked against the tree). */
  async getBytes (index: number): Promise<Uint8Array | undefined> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#size) return undefined
    const raw = await this.#read(entryKey(index))
    return raw == null ? undefined : new Uint8Array(Buffer.from(raw, 'utf8'))
  }

  async get (index: number): Promise<AuditEntry | undefined> {
    const bytes = await this.getBytes(index)
    if (bytes == null) return undefined
    const r = decodeEntry(bytes)
    if (!r.ok) throw new AuditCorruptError(`audit entry ${index}: ${r.error.message}`)
    return r.value
  }

  /** Entries in index order from `since` (default 0), at most `limit` (default all). */
  async entries (options: { since?: number, limit?: number } = {}): Promise<AuditEntry[]> {
    const since = Math.max(0, options.since ?? 0)
    const end = Math.min(this.#size, options.limit == null ? this.#size : since + Math.max(0, options.limit))
    const out: AuditEntry[] = []
    for (let i = since; i < end; i++) {
      const e = await this.get(i)
      if (e == null) throw new AuditCorruptError(`audit entry ${i} is missing`)
      out.push(e)
    }
    return out
  }

  /** Raw stored bytes of entries [0, size), for verification and export. */
  async rawEntries (size: number = this.#size): Promise<Uint8Array[]> {
    const out: Uint8Array[] = []
    for (let i = 0; i < Math.min(size, this.#size); i++) {
      const b = await this.getBytes(i)
      if (b == null) throw new AuditCorruptError(`audit entry ${i} is missing`)
      out.push(b)
    }
    return out
  }

  async #node (level: number, index: number): Promise<Uint8Array> {
    const raw = await this.#read(nodeKey(level, index))
    if (raw == null) throw new AuditCorruptError(`subtree hash ${level}/${index} is missing`)
    const h = fromB64(raw)
    if (h.length !== HASH_SIZE) throw new AuditCorruptError(`subtree hash ${level}/${index} has the wrong length`)
    return h
  }

  /**
   * Hash of leaves [start, end). In RFC 6962 proofs `start` is always a multiple of the smallest
   * power of two >= end - start, so the left part of every split is a stored perfect subtree.
   */
  async #rangeHash (start: number, end: number): Promise<Uint8Array> {
    const n = end - start
    if (n === 0) return EMPTY_ROOT
    if (isPowerOfTwo(n)) {
      const level = Math.log2(n)
      if (start % n !== 0) throw new RangeError(`range [${start}, ${end}) is not aligned`)
      return await this.#node(level, start / n)
    }
    const k = splitPoint(n)
    return hashChildren(await this.#rangeHash(start, start + k), await this.#rangeHash(start + k, end))
  }

  /** Root of the tree of the first `size` leaves (size <= current size). */
  async rootAt (size: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.#size) throw new RangeError(`size ${size} is not in [0, ${this.#size}]`)
    if (size === this.#size) return this.root()
    return await this.#rangeHash(0, size)
  }

  async inclusionProof (index: number, size: number = this.#size): Promise<Uint8Array[]> {
    if (size > this.#size) throw new RangeError(`size ${size} is beyond the log size ${this.#size}`)
    const ranges = inclusionProofRanges(index, size)
    const out: Uint8Array[] = []
    for (const r of ranges) out.push(await this.#rangeHash(r.start, r.end))
    return out
  }

  async consistencyProof (m: number, n: number = this.#size): Promise<Uint8Array[]> {
    if (n > this.#size) throw new RangeError(`size ${n} is beyond the log size ${this.#size}`)
    const ranges = consistencyProofRanges(m, n)
    const out: Uint8Array[] = []
    for (const r of ranges) out.push(await this.#rangeHash(r.start, r.end))
    return out
  }
}
