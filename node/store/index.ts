/** The node's storage: one LevelDB store, typed repositories, atomic batches, named sublevels. */
export { openStore, STORE_SCHEMA_VERSION } from './open-store.js'
export type { Store, OpenStoreOptions, RawSublevel, BytesSublevel } from './open-store.js'
export type { StoreBatch } from './batch.js'
export type { Repository, Codec, ListOptions, PutOptions } from './repository.js'
export { compareKeys } from './repository.js'
export { MemoryRepository } from './memory-repository.js'
export { SUBLEVELS, RETIRED_SUBLEVELS, sublevelNames, isSublevelName } from './sublevels.js'
export type { SublevelName, SublevelKey } from './sublevels.js'
export {
  StoreError, StoreLockedError, StoreOpenError, StoreSchemaError, StoreClosedError, StoreWriteError,
  StoreReadError, CorruptRecordError, InvalidStoreArgumentError, BatchSpentError
} from './errors.js'
