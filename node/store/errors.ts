/** Store failures: named classes with stable codes. */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError'
  readonly code = 'STORE_LOCKED'
}

export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError'
  readonly code = 'STORE_OPEN_FAILED'
}

export class CorruptRecordError extends Error {
  override readonly name = 'CorruptRecordError'
  readonly code = 'CORRUPT_RECORD'
}

export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError'
  readonly code = 'STORE_CLOSED'
}
