/**
 * Store errors: I/O failures and broken records are exceptions, one named class per condition, each
 * with a stable `code` (never renamed or reused). Callers on a decision path treat any of them as a
 * DENY (fail closed).
 */
export class StoreError extends Error {
  readonly code: string
  constructor (code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreError'
    this.code = code
  }
}

/** Another process (or another open store in this process) holds the LevelDB lock. */
export class StoreLockedError extends StoreError {
  static readonly code = 'STORE_LOCKED'
  readonly directory: string
  constructor (directory: string, options?: { cause?: unknown }) {
    super(StoreLockedError.code, `store ${directory} is locked: another trustmesh process is using it (stop that node first, or use another --data-dir)`, options)
    this.name = 'StoreLockedError'
    this.directory = directory
  }
}

/** The store could not be opened for any other reason (permissions, not a directory, corruption). */
export class StoreOpenError extends StoreError {
  static readonly code = 'STORE_OPEN_FAILED'
  readonly directory: string
  constructor (directory: string, reason: string, options?: { cause?: unknown }) {
    super(StoreOpenError.code, `cannot open store ${directory}: ${reason}`, options)
    this.name = 'StoreOpenError'
    this.directory = directory
  }
}

/** The store on disk was written by a newer, incompatible version. */
export class StoreSchemaError extends StoreError {
  static readonly code = 'STORE_SCHEMA_UNSUPPORTED'
  constructor (directory: string, found: unknown, supported: number) {
    super(StoreSchemaError.code, `store ${directory} has schema version ${JSON.stringify(found)}; this trustmesh supports up to ${supported}`)
    this.name = 'StoreSchemaError'
  }
}

/** An operation was attempted after `close()`. */
export class StoreClosedError extends StoreError {
  static readonly code = 'STORE_CLOSED'
  constructor (what: string) {
    super(StoreClosedError.code, `store is closed (${what})`)
    this.name = 'StoreClosedError'
  }
}

/** A write (put, del or batch) failed at the storage layer; nothing acknowledged. */
export class StoreWriteError extends StoreError {
  static readonly code = 'STORE_WRITE_FAILED'
  constructor (what: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(StoreWriteError.code, `store write failed (${what})${reason}`, options)
    this.name = 'StoreWriteError'
  }
}

/** A stored record is not valid JSON or fails its codec: never returned as data. */
export class CorruptRecordError extends StoreError {
  static readonly code = 'CORRUPT_RECORD'
  readonly sublevel: string
  readonly key: string
  constructor (sublevel: string, key: string, reason: string, options?: { cause?: unknown }) {
    super(CorruptRecordError.code, `corrupt record in sublevel ${sublevel} at key ${JSON.stringify(key)}: ${reason}`, options)
    this.name = 'CorruptRecordError'
    this.sublevel = sublevel
    this.key = key
  }
}

/** A key or argument the store refuses (empty, not well-formed Unicode, bad limit, unknown sublevel). */
export class InvalidStoreArgumentError extends StoreError {
  static readonly code = 'STORE_INVALID_ARGUMENT'
  constructor (message: string) {
    super(InvalidStoreArgumentError.code, message)
    this.name = 'InvalidStoreArgumentError'
  }
}

/** A `StoreBatch` was written twice or used after `write()`. */
export class BatchSpentError extends StoreError {
  static readonly code = 'STORE_BATCH_SPENT'
  constructor () {
    super(BatchSpentError.code, 'store batch already written; create a new batch')
    this.name = 'BatchSpentError'
  }
}

/** A read failed at the storage layer (I/O error); callers deciding anything must DENY. */
export class StoreReadError extends StoreError {
  static readonly code = 'STORE_READ_FAILED'
  constructor (what: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(StoreReadError.code, `store read failed (${what})${reason}`, options)
    this.name = 'StoreReadError'
  }
}
