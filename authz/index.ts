/**
 * Rings and policies, pure: ring tables and effective rings, elevations, policy documents with
 * inheritance that never loosens, evaluation as a conjunction of levels, digests of carried policies,
 * the default policy and human approvals. No network, no storage: the node persists and wires.
 */
export { PolicyCode, PolicyLoadCode, PolicyLoadError, type PolicyLoadErrorCode, type PolicyLoadErrorDetail } from './errors.js'
export { abilityMatches, abilityPatternError, isValidAbility, patternCovers, patternsOverlap, resourceHasPrefix } from './ability.js'
export {
  RING_ADMIN, RING_HIGH_IMPACT, RING_WRITE, RING_READ, DEFAULT_FOREIGN_MAX_RING,
  isRing, isAgentRing, lookupRingTable, requiredRing, requiredRingDetail, effectiveRing, effectiveRingDetail, checkRing, checkRingGrant,
  type EffectiveRing, type EffectiveRingInput, type RequiredRing, type RingEntryMatch
} from './rings.js'
export {
  ELEVATION_TYP, MAX_ELEVATION_TTL_SECONDS, ElevationCode, ElevationInputError, issueElevation, verifyElevation, applyElevations,
  type Elevation, type ElevationRequest, type VerifyElevationOptions
} from './elevation.js'
export {
  validatePolicyDocument, isEffectivePolicy, levelDefault, APPROVER_NAME, MAX_APPROVALS_REQUIRED,
  type ApprovalRequirement, type ArgCondition, type DefaultEffect, type Effect, type EffectivePolicy, type PolicyDocument, type PolicyLevel, type PolicyRule, type RuleMatch, type Scalar
} from './policy-document.js'
export { loadPolicy, loadPolicyText, tryLoadPolicy, parsePolicyDocument, MAX_POLICY_BYTES, MAX_POLICY_DOCUMENTS, MAX_EXTENDS_DEPTH, type LoadPolicyOptions, type PolicySourceLoader } from './load-policy.js'
export { checkNoLoosening } from './inheritance.js'
export { mostRestrictive, restrictiveness } from './effects.js'
export { evaluatePolicy, evaluateLevel, type EvaluateOptions } from './evaluate.js'
export type { PolicyRequest } from './match.js'
export { denyDecision, type Decision, type DecisionCause, type TraceEntry } from './decision.js'
export { authorizeTask, type AuthzInput, type AuthzDecision, type CarriedContext, type CaveatMiss } from './authorize-task.js'
export type { PrincipalInfo } from './principal.js'
export { canonicalJson, CanonicalJsonError } from './canonical-json.js'
export { policyDigest, canonicalPolicy, isPolicyDigest, POLICY_DIGEST_PREFIX } from './digest.js'
export { evaluateCarriedPolicies, type CarriedDecision } from './carried-policies.js'
export { DEFAULT_POLICY_YAML, DEFAULT_POLICY_FILE } from './default-policy.js'
export {
  APPROVAL_TYP, ApprovalCode, ApprovalInputError, issueApproval, verifyApproval, decidePending,
  type Approval, type ApprovalDecision, type ApprovalRequest, type PendingOutcome, type PendingTask, type VerifyApprovalOptions
} from './approval.js'
