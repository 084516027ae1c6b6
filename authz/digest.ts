/**
 * Policy digests: `sha256:<hex>` of the canonical JSON of the validated document(s), parents resolved
 * and in load order (parents first), without file paths. Two nodes holding the same documents get the
 * same digest whatever the YAML formatting; any change of a rule, ring entry or default changes it.
 * A delegation's `policy` caveat carries this digest.
 */
import { createHash } from 'node:crypto'
import { canonicalJson } from './canonical-json.js'
import { isEffectivePolicy, type EffectivePolicy, type PolicyDocument } from './policy-document.js'

export const POLICY_DIGEST_PREFIX = 'sha256:'
const DIGEST = /^sha256:[0-9a-f]{64}$/

/** The canonical JSON a digest is taken over (also the bytes a node serves for a digest). */
export function canonicalPolicy (policy: EffectivePolicy | PolicyDocument): string {
  if (isEffectivePolicy(policy)) return canonicalJson({ levels: policy.levels.map((l) => l.document) })
  return canonicalJson(policy)
}

export function policyDigest (policy: EffectivePolicy | PolicyDocument): string {
  return POLICY_DIGEST_PREFIX + createHash('sha256').update(canonicalPolicy(policy), 'utf8').digest('hex')
}

export function isPolicyDigest (v: unknown): v is string {
  return typeof v === 'string' && DIGEST.test(v)
}
