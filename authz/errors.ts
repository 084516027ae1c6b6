/**
 * Reason codes of the policy layer and the one exception it throws: PolicyLoadError, raised when a
 * policy document cannot be loaded (the node refuses to start rather than run with a half policy).
 * Codes are stable: never renamed or reused.
 */

/** Decision codes returned by evaluation, ring checks, elevations, approvals and carried policies. */
export const PolicyCode = {
  ALLOW: 'ALLOW',
  POLICY_DENY: 'POLICY_DENY',
  NO_POLICY: 'NO_POLICY',
  POLICY_ERROR: 'POLICY_ERROR',
  POLICY_UNAVAILABLE: 'POLICY_UNAVAILABLE',
  APPROVAL_REQUIRED: 'APPROVAL_REQUIRED',
  RING_TOO_LOW: 'RING_TOO_LOW',
  RING_ESCALATION: 'RING_ESCALATION',
  RING_INVALID: 'RING_INVALID',
  UNMAPPED_ABILITY: 'UNMAPPED_ABILITY',
  TRUST_TOO_LOW: 'TRUST_TOO_LOW',
  TRUST_UNKNOWN: 'TRUST_UNKNOWN',
  BAD_REQUEST: 'BAD_REQUEST'
} as const

/** Load-time failure codes carried by PolicyLoadError. */
export const PolicyLoadCode = {
  POLICY_PARSE_ERROR: 'POLICY_PARSE_ERROR',
  POLICY_SCHEMA_ERROR: 'POLICY_SCHEMA_ERROR',
  POLICY_EXTENDS_CYCLE: 'POLICY_EXTENDS_CYCLE',
  POLICY_LOOSENS_PARENT: 'POLICY_LOOSENS_PARENT',
  POLICY_NOT_FOUND: 'POLICY_NOT_FOUND'
} as const

export type PolicyLoadErrorCode = typeof PolicyLoadCode[keyof typeof PolicyLoadCode]

export interface PolicyLoadErrorDetail {
  /** The document (file path or reference) at fault. */
  file: string
  /** Rule id at fault, when the fault is inside a rule. */
  rule?: string
  /** Dotted field path at fault, e.g. `match.args.amount.lte`. */
  field?: string
}

/** A policy document could not be loaded; `code` says why, `file`/`rule`/`field` say where. */
export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError'
  readonly code: PolicyLoadErrorCode
  readonly file: string
  readonly rule?: string
  readonly field?: string

  constructor (code: PolicyLoadErrorCode, message: string, detail: PolicyLoadErrorDetail) {
    const where = [detail.file, detail.rule != null ? `rule '${detail.rule}'` : undefined, detail.field != null ? `field '${detail.field}'` : undefined]
      .filter((s) => s != null).join(', ')
    super(`${where}: ${message}`)
    this.code = code
    this.file = detail.file
    if (detail.rule != null) this.rule = detail.rule
    if (detail.field != null) this.field = detail.field
  }
}
