/**
 * Opens the node's one LevelDB store at `<dataDir>/db` (directories created with mode 0700) and hands
 * out typed repositories, raw sublevels and atomic cross-sublevel batches. LevelDB's LOCK file makes
 * a second process (or a second open in this process) fail with `StoreLockedError`. The store records
 * a schema version in `meta` and refuses one written by a newer, incompatible version.
 */
import { mkdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { AbstractSublevel } from 'abstract-level'
import { ClassicLevel } from 'classic-level'
import type { Logger } from '../../identity/logger.js'
import { silentLogger } from '../../identity/logger.js'
import { LevelStoreBatch } from './batch.js'
import type { StoreBatch } from './batch.js'
import { InvalidStoreArgumentError, StoreClosedError, StoreLockedError, StoreOpenError, StoreSchemaError } from './errors.js'
import { LevelRepository } from './level-repository.js'
import type { TextSublevel } from './level-repository.js'
import type { Codec, Repository } from './repository.js'
import { SUBLEVELS, isSublevelName } from './sublevels.js'
import type { SublevelName } from './sublevels.js'

/** Schema version this code writes and understands. */
export const STORE_SCHEMA_VERSION = 1
const SCHEMA_KEY = 'store-schema'

/** A raw sublevel: utf8 keys, JSON values (for adapters such as a libp2p datastore or the audit log). */
export type RawSublevel = AbstractSublevel<ClassicLevel<string, string>, string | Buffer | Uint8Array, string, unknown>

/** A raw sublevel: utf8 keys, byte values. */
export type BytesSublevel = AbstractSublevel<ClassicLevel<string, string>, string | Buffer | Uint8Array, string, Uint8Array>

export interface Store {
  /** Absolute path of the LevelDB directory (`<dataDir>/db`). */
  readonly location: string
  readonly closed: boolean
  repository: <T>(name: SublevelName, codec?: Codec<T>) => Repository<T>
  sublevel: (name: SublevelName) => RawSublevel
  /** A raw sublevel with utf8 keys and byte values (for the libp2p datastore). */
  bytesSublevel: (name: SublevelName) => BytesSublevel
  /** A new atomic batch across sublevels, written with `sync: true`. */
  batch: () => StoreBatch
  /** Closes the database; idempotent. */
  close: () => Promise<void>
}

export interface OpenStoreOptions {
  logger?: Logger
  signal?: AbortSignal
}

function causeCode (err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause
  const code = cause?.code ?? (err as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

function reasonOf (err: unknown): string {
  const cause = (err as { cause?: unknown } | undefined)?.cause
  if (cause instanceof Error) return cause.message
  return err instanceof Error ? err.message : String(err)
}

class LevelStore implements Store {
  readonly location: string
  private readonly db: ClassicLevel<string, string>
  private readonly text = new Map<SublevelName, TextSublevel>()
  private readonly raw = new Map<SublevelName, RawSublevel>()
  private readonly bytes = new Map<SublevelName, BytesSublevel>()
  private closing: Promise<void> | undefined
  private readonly logger: Logger
  private readonly guard = (what: string): void => {
    if (this.closing !== undefined) throw new StoreClosedError(what)
  }

  constructor (location: string, db: ClassicLevel<string, string>, logger: Logger) {
    this.location = location
    this.db = db
    this.logger = logger
  }

  get closed (): boolean {
    return this.closing !== undefined
  }

  textSublevel (name: SublevelName): TextSublevel {
    if (!isSublevelName(name)) throw new InvalidStoreArgumentError(`unknown sublevel ${JSON.stringify(name)}`)
    let sub = this.text.get(name)
    if (sub === undefined) {
      sub = this.db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
      this.text.set(name, sub)
    }
    return sub
  }

  repository<T>(name: SublevelName, codec?: Codec<T>): Repository<T> {
    this.guard(`repository ${name}`)
    return new LevelRepository<T>(name, this.textSublevel(name), this.guard, codec)
  }

  sublevel (name: SublevelName): RawSublevel {
    this.guard(`sublevel ${name}`)
    if (!isSublevelName(name)) throw new InvalidStoreArgumentError(`unknown sublevel ${JSON.stringify(name)}`)
    let sub = this.raw.get(name)
    if (sub === undefined) {
      sub = this.db.sublevel<string, unknown>(name, { keyEncoding: 'utf8', valueEncoding: 'json' })
      this.raw.set(name, sub)
    }
    return sub
  }

  bytesSublevel (name: SublevelName): BytesSublevel {
    this.guard(`sublevel ${name}`)
    if (!isSublevelName(name)) throw new InvalidStoreArgumentError(`unknown sublevel ${JSON.stringify(name)}`)
    let sub = this.bytes.get(name)
    if (sub === undefined) {
      sub = this.db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' })
      this.bytes.set(name, sub)
    }
    return sub
  }

  batch (): StoreBatch {
    this.guard('batch')
    return new LevelStoreBatch(this.db, name => this.textSublevel(name), this.guard)
  }

  async close (): Promise<void> {
    if (this.closing === undefined) {
      this.closing = this.db.close().then(() => { this.logger.info('store closed', { location: this.location }) })
    }
    await this.closing
  }
}

async function ensureDir (path: string, logger: Logger, dataDir: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 })
    const st = await stat(path)
    if (!st.isDirectory()) throw new StoreOpenError(dataDir, `${path} is not a directory`)
    if ((st.mode & 0o077) !== 0) {
      logger.warn('store directory is accessible to other users; expected mode 0700', { path, mode: (st.mode & 0o777).toString(8) })
    }
  } catch (err) {
    if (err instanceof StoreOpenError) throw err
    throw new StoreOpenError(dataDir, `cannot create ${path}: ${reasonOf(err)}`, { cause: err })
  }
}

async function checkSchema (store: LevelStore, dataDir: string): Promise<void> {
  const meta = store.repository<unknown>(SUBLEVELS.meta)
  const found = await meta.get(SCHEMA_KEY)
  if (found === undefined) {
    await meta.put(SCHEMA_KEY, { version: STORE_SCHEMA_VERSION }, { sync: true })
    return
  }
  const version = (found as { version?: unknown } | null)?.version
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > STORE_SCHEMA_VERSION) {
    throw new StoreSchemaError(dataDir, version, STORE_SCHEMA_VERSION)
  }
}

/**
 * Opens (creating if needed) the store in `dataDir`. Throws `StoreLockedError` when another process
 * holds it, `StoreOpenError` for any other failure, `StoreSchemaError` for a newer on-disk schema.
 */
export async function openStore (dataDir: string, options: OpenStoreOptions = {}): Promise<Store> {
  const logger = options.logger ?? silentLogger('trustmesh:store')
  options.signal?.throwIfAborted()
  const dir = resolve(dataDir)
  const location = join(dir, 'db')
  await ensureDir(dir, logger, dir)
  await ensureDir(location, logger, dir)
  const db = new ClassicLevel<string, string>(location, { keyEncoding: 'utf8', valueEncoding: 'utf8', createIfMissing: true })
  try {
    await db.open()
  } catch (err) {
    if (causeCode(err) === 'LEVEL_LOCKED') throw new StoreLockedError(dir, { cause: err })
    throw new StoreOpenError(dir, reasonOf(err), { cause: err })
  }
  const store = new LevelStore(location, db, logger)
  try {
    await checkSchema(store, dir)
    options.signal?.throwIfAborted()
  } catch (err) {
    await store.close().catch(() => {})
    if (err instanceof StoreSchemaError || (err instanceof Error && err.name === 'AbortError')) throw err
    throw new StoreOpenError(dir, reasonOf(err), { cause: err })
  }
  logger.info('store opened', { location })
  return store
}
