/**
 * Sybil cap: an org gains nothing by minting agent identities. Trust is computed between orgs; an
 * agent's edges are folded into its org's, an org's statements about its own agents are dropped, and
 * the org's global trust is then split among its agents (never multiplied) in proportion to the
 * evidence others hold about each of them. An agent's displayed score never exceeds its org's.
 */
import type { Attestation } from './attestation.js'
import type { TrustEdge } from './eigentrust.js'

/** Org DID of a DID: the org itself for an org DID, its issuing org for an agent, undefined if unknown. */
export type OrgOf = (did: string) => string | undefined

/** Drop attestations whose issuer is the subject or the subject's org. Unknown subjects are kept. */
export function dropSelfAttestations<T extends Pick<Attestation, 'iss' | 'sub'>> (attestations: Iterable<T>, orgOf: OrgOf): T[] {
  const out: T[] = []
  for (const a of attestations) {
    if (a.sub === a.iss || orgOf(a.sub) === a.iss) continue
    out.push(a)
  }
  return out
}

/**
 * Fold agent-level edges into org-level edges. Edges with an endpoint of unknown org are dropped
 * (cannot decide: no trust), as are edges inside one org. Several edges landing on the same org pair
 * keep the largest weight, so 100 agents rated well weigh what one agent rated well weighs.
 */
export function foldToOrgs (edges: Iterable<TrustEdge>, orgOf: OrgOf): TrustEdge[] {
  const merged = new Map<string, TrustEdge>()
  for (const e of edges) {
    const from = orgOf(e.from)
    const to = orgOf(e.to)
    if (from === undefined || to === undefined || from === to) continue
    const key = `${from}\u0000${to}`
    const prev = merged.get(key)
    if (prev === undefined || e.weight > prev.weight) merged.set(key, { from, to, weight: e.weight })
  }
  return [...merged.values()]
}

/**
 * Split an org's global trust among its agents in proportion to non-negative evidence weights (e.g.
 * receipts others hold about each agent). The shares sum to orgTrust when any weight is positive and
 * to 0 otherwise; an agent nobody else has evidence about gets nothing.
 */
export function splitOrgTrust (orgTrust: number, agentWeights: ReadonlyMap<string, number>): Map<string, number> {
  let sum = 0
  for (const w of agentWeights.values()) if (Number.isFinite(w) && w > 0) sum += w
  const out = new Map<string, number>()
  for (const [agent, w] of agentWeights) out.set(agent, sum > 0 && Number.isFinite(w) && w > 0 ? orgTrust * w / sum : 0)
  return out
}

/** An agent's score is capped by its org's score. */
export function capAgentScore (agentScore: number, orgScore: number): number {
  if (!Number.isFinite(agentScore) || !Number.isFinite(orgScore)) return 0
  return Math.min(agentScore, orgScore)
}
