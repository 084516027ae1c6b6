/** The node's LevelDB store: sublevel names, typed repositories, atomic synced batches. */
export { openStore, type Store, type StoreBatch } from './open-store.js'
export { createRepository, type Repository, type Codec, type ListOptions } from './repository.js'
export { Sublevel, isSublevelName, type SublevelName } from './sublevels.js'
export { StoreLockedError, StoreOpenError, CorruptRecordError, StoreClosedError } from './errors.js'
