/**
 * The node's features, in start order. Each capability (delegation and tasks, policy and approvals,
 * trust, audit, SPIFFE) adds one factory here; the composition root starts them after the core.
 */
import type { FeatureFactory } from './node-context.js'
import { delegationFeature } from './features/delegation-feature.js'
import { spiffeFeature } from './features/spiffe-feature.js'
import { trustFeature } from './features/trust-feature.js'
import { auditFeature } from './features/audit-feature.js'
import { policyFeature } from './features/policy-feature.js'

export const defaultFeatures: FeatureFactory[] = [
  auditFeature,
  spiffeFeature(),
  delegationFeature,
  policyFeature(),
  trustFeature()
]
