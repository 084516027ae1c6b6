/**
 * Canonical JSON for policy digests: the one canonical JSON of identity/canonical-json.ts. Two equal
 * values give the same bytes however they were written, which is what a digest of a policy needs.
 */
export { canonicalJson, CanonicalJsonError } from '../identity/canonical-json.js'
