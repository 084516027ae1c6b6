/**
 * The node's features, in start order. Each capability (delegation and tasks, policy and approvals,
 * trust, audit, SPIFFE) adds one factory here; the composition root starts them after the core.
 */
import type { FeatureFactory } from './node-context.js'
import { delegationFeature } from './services/delegation/delegation-feature.js'
import { spiffeFeature } from './services/spiffe/spiffe-feature.js'
import { trustFeature } from './services/trust/trust-feature.js'
import { auditFeature } from './services/audit/audit-feature.js'
import { policyFeature } from './services/approvals/policy-feature.js'

export const defaultFeatures: FeatureFactory[] = [
  auditFeature,
  spiffeFeature(),
  delegationFeature,
  policyFeature(),
  trustFeature()
]
