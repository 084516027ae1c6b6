/**
 * Chain builders for the delegation tests: root by an org, links through agents, an invocation by the
 * last audience, all at fixed times from the fake clock's start.
 */
import type { Signer } from '../../../identity/signer.js'
import type { Capabilities } from '../../../identity/ucan/capability.js'
import type { Caveats } from '../../../identity/ucan/caveats.js'
import { issueDelegation, issueInvocation, type IssuedToken } from '../../../identity/ucan/token.js'
import type { ValidateInput, ValidateOptions } from '../../../identity/ucan/validate-chain.js'

export const T0 = Date.UTC(2026, 0, 1)
export const T0S = T0 / 1000
export const HOUR = 3600

export interface LinkSpec {
  issuer: Signer
  audience: Signer
  capabilities: Capabilities
  notBefore?: number
  expiration?: number | null
  nonce?: string
  facts?: Record<string, unknown>
}

export interface BuiltChain {
  links: IssuedToken[]
  invocation: IssuedToken
  input: ValidateInput
}

export function res (org: Signer, path = 'records'): string {
  return `tm:${org.did}${path === '' ? '' : '/' + path}`
}

export function cap (resource: string, ability: string, caveats: Caveats = [{}]): Capabilities {
  return { [resource]: { [ability]: caveats } }
}

/** Issue the links in order (each proves the next) and an invocation by the last audience. */
export async function buildChain (specs: LinkSpec[], invoke: { resource: string, ability: string, caveats?: Caveats, nonce?: string, notBefore?: number, expiration?: number, audience?: Signer }): Promise<BuiltChain> {
  const links: IssuedToken[] = []
  for (const s of specs) {
    const prev = links[links.length - 1]
    const input: Parameters<typeof issueDelegation>[1] = {
      audience: s.audience.did,
      capabilities: s.capabilities,
      notBefore: s.notBefore ?? T0S - 60,
      expiration: s.expiration === undefined ? T0S + HOUR : s.expiration,
      proofs: prev === undefined ? [] : [prev.jwt]
    }
    if (s.nonce !== undefined) input.nonce = s.nonce
    if (s.facts !== undefined) input.facts = s.facts
    links.push(await issueDelegation(s.issuer, input))
  }
  const invoker = specs[specs.length - 1].audience
  const inv: Parameters<typeof issueInvocation>[1] = {
    audience: (invoke.audience ?? specs[0].issuer).did,
    resource: invoke.resource,
    ability: invoke.ability,
    proof: links[links.length - 1].jwt,
    nonce: invoke.nonce ?? 'n-1',
    notBefore: invoke.notBefore ?? T0S - 30,
    expiration: invoke.expiration ?? T0S + 120
  }
  if (invoke.caveats !== undefined) inv.caveats = invoke.caveats
  const invocation = await issueInvocation(invoker, inv)
  return { links, invocation, input: toInput(invocation, links) }
}

export function toInput (invocation: IssuedToken, links: readonly IssuedToken[]): ValidateInput {
  const proofs: Record<string, string> = {}
  for (const l of links) proofs[l.cid] = l.jwt
  return { invocation: invocation.jwt, proofs }
}

/** Default options at T0 with empty revocation and replay views. */
export function opts (extra: Partial<ValidateOptions> = {}): ValidateOptions {
  return { now: T0, revoked: () => false, seen: () => false, ...extra }
}
