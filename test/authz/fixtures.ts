/** Shared fixtures for the policy tests: an in-memory document loader and a request builder. */
import { acme, alice, bob, globex } from '../helpers/principals.js'
import type { PolicyRequest } from '../../authz/match.js'
import type { PolicySourceLoader } from '../../authz/load-policy.js'

export const SELF = acme.did
export const PARTNER = globex.did

export function loaderOf (docs: Record<string, string>): PolicySourceLoader {
  return (ref) => (Object.prototype.hasOwnProperty.call(docs, ref) ? docs[ref] : undefined)
}

export function request (over: Partial<PolicyRequest> = {}): PolicyRequest {
  return {
    ability: 'records/read',
    resource: `tm:${SELF}/records/42`,
    callerOrg: PARTNER,
    callerAgent: bob.did,
    selfOrg: SELF,
    ring: 3,
    trust: 600,
    ...over
  }
}

export const selfAgent = alice.did

/** A small org policy used as a parent in inheritance tests. */
export const ORG_POLICY = `
version: 1
name: org
default: deny
rings:
  "*/read": 3
  records/write: 2
  "payments/*": 1
rules:
  - id: reads
    effect: allow
    match: { ability: "*/read", trust: { min: 300 } }
  - id: writes
    effect: allow
    match: { ability: records/write, ring: { max: 2 }, trust: { min: 500 }, args: { size: { lte: 1000 } } }
  - id: no-payment-reads
    effect: deny
    match: { ability: payments/read, callerOrg: partner }
  - id: pay
    effect: require_approval
    match: { ability: "payments/*", ring: { max: 1 } }
`
