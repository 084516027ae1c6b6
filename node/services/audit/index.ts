/** The audit log wired into the node: decisions appended before they take effect, checkpoints, witnessing. */
export { AuditService, type AuditServiceOptions, type VerifyReport, type CosignerRecord, type TextLevel } from './audit-service.js'
export { WitnessService, type WitnessServiceOptions } from './witness-service.js'
export { AuditExchange, nodeDidOfPeer, type CosignOutcome, type AuditExchangeOptions } from './audit-exchange.js'
