/**
 * The audit log: RFC 6962 Merkle tree of canonical entries in LevelDB, signed-note checkpoints,
 * witness cosigning with equivocation detection, and offline verification of logs and bundles.
 */
export {
  EMPTY_ROOT, HASH_SIZE, hashLeaf, hashChildren, rootHash, inclusionProof, consistencyProof,
  inclusionProofRanges, consistencyProofRanges, verifyInclusion, verifyConsistency, type LeafRange
} from './merkle.js'
export {
  AUDIT_KINDS, EntryErrorCode, InvalidEntryError, canonicalJson, encodeEntry, decodeEntry,
  type AuditEntry, type AuditKind, type JsonValue
} from './entry.js'
export {
  AuditLog, AuditUnavailableError, AuditCorruptError,
  type AuditStore, type AuditEntryInput, type AppendResult, type AuditLogOptions
} from './audit-log.js'
export {
  CheckpointErrorCode, MalformedCheckpointError, signNote, signCheckpoint, parseCheckpoint, verifyCheckpoint,
  cosignCheckpoint, verifyCosignatures, keyId, originForDid,
  type Checkpoint, type CheckpointBody, type NoteSignature, type KnownKey
} from './checkpoint.js'
export {
  Witness, MemoryWitnessStore, LevelWitnessStore, WitnessErrorCode, compareCheckpoints,
  type Equivocation, type WitnessResult, type WitnessStore, type WitnessLevel, type WitnessOptions
} from './witness.js'
export {
  VerifyLogErrorCode, verifyLog, verifyEntries, verifySignedCheckpoint,
  type VerifyLogOptions, type LogVerification
} from './verify-log.js'
export {
  BUNDLE_FORMAT, BUNDLE_FILES, BundleErrorCode, exportBundle, verifyBundle,
  type BundleCosigner, type ExportBundleOptions, type VerifyBundleOptions
} from './bundle.js'
