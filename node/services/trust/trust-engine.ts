/**
 * The node's combined trust view, a pure function of (evidence, attestations, enrolments, now):
 *
 * 1. Local scores from this node's first-hand evidence (decayed beta, see node/trust/local-score.ts).
 * 2. Personalised EigenTrust between orgs over this node's local scores and the latest unexpired
 *    attestation of each enrolled issuer about each subject (agents folded into their org), anchored
 *    on the pre-trusted set: this node's org plus the partners its operator marked. An org nobody in
 *    that set vouches for, directly or through others, gets no standing: a clique that only praises
 *    itself gains nothing.
 * 3. The score of a subject is the weighted mean of the first-hand opinions about it, plus a neutral
 *    prior: this node's own local score (weight 1) and each attesting org's score (weight = that
 *    org's standing in step 2, 0..1, so a witness nobody trusts moves nothing), and NEUTRAL with
 *    weight PRIOR_WEIGHT (so a barely trusted witness alone cannot move a score far). No opinion at
 *    all: NEUTRAL (probationary), never trusted.
 * 4. An agent's score never exceeds its org's (Sybil cap); an org's statements about its own agents,
 *    and anything about this node's own org, are never counted.
 */
import {
  NEUTRAL_SCORE, MAX_SCORE, clampScore, tierOf, localTrustFromScore, admitEvidence, localScore, compileTrustGraph, eigenTrust,
  globalTrustToScore, foldToOrgs, capAgentScore, explainTrust,
  type Attestation, type EvidenceCounts, type EvidenceRecord, type LocalAssessment, type LocalScoreOptions, type Tier,
  type TrustEdge, type EigenTrustResult, type TrustExplanation
} from '../../../trust/index.js'
import type { Failure } from '../../../identity/result.js'

/** Weight of the neutral prior, in units of a fully trusted witness. */
export const PRIOR_WEIGHT = 0.25
/** Attestations issued this far ahead of our clock still count (clock skew). */
const ISSUED_SKEW_MS = 60_000

export interface TrustInputs {
  selfOrg: string
  /** Enrolled partner orgs. */
  orgs: readonly string[]
  /** Enrolled partners the operator marked pre-trusted. */
  preTrusted: readonly string[]
  evidence: Iterable<EvidenceRecord>
  /** Attestations that passed intake (signature, type, issuer at the time); re-filtered here. */
  attestations: Iterable<HeldAttestation>
  /** Org of an agent DID, when known. */
  orgOf: (did: string) => string | undefined
  now: number
  scoreOptions?: LocalScoreOptions
  /** EigenTrust teleport weight (default 0.15). */
  alpha?: number
}

export interface HeldAttestation {
  /** Gossip record id. */
  id: string
  attestation: Attestation
  /** Org it came from (absent: published here). */
  fromOrg?: string
}

export interface Opinion {
  /** The org whose first-hand score this is (this node's org for `local`). */
  witness: string
  kind: 'local' | 'attestation'
  score: number
  /** Weight in the mean: 1 for this node, the witness's standing (0..1) for attestations. */
  weight: number
  evidence: EvidenceCounts
  /** Points the final score would lose (negative: gain) without this opinion. */
  moved: number
  /** For attestations: record id, issued-at and expiry (s). */
  id?: string
  iat?: number
  exp?: number
}

export interface SubjectTrust {
  did: string
  kind: 'org' | 'agent'
  /** The subject's org (itself for an org). */
  org: string
  enrolled: boolean
  score: number
  tier: Tier
  /** Score before the agent cap (agents only). */
  uncapped?: number
  /** This node's first-hand assessment, when it holds evidence. */
  local?: LocalAssessment
  /** Opinions that went into the score, strongest influence first. */
  opinions: Opinion[]
  /** EigenTrust standing of an org: share of global trust and its 0..1000 display. */
  standing?: { trust: number, score: number, preTrusted: boolean }
}

export interface TrustView {
  computedAt: number
  selfOrg: string
  preTrusted: string[]
  /** Undefined when EigenTrust failed (then only this node's own opinions count: fail closed). */
  eigen?: EigenTrustResult
  eigenError?: Failure
  /** Weight of each witness org (this node: 1). */
  witnessWeights: Map<string, number>
  subjects: Map<string, SubjectTrust>
}

const zeroCounts = (): EvidenceCounts => ({ ok: 0, error: 0, denied: 0, timeout: 0 })

/** Latest attestation per (issuer, subject) that may count now. */
export function countableAttestations (inputs: Pick<TrustInputs, 'selfOrg' | 'orgs' | 'orgOf' | 'now' | 'attestations'>): HeldAttestation[] {
  const enrolled = new Set(inputs.orgs)
  const latest = new Map<string, HeldAttestation>()
  for (const h of inputs.attestations) {
    const a = h.attestation
    if (a.iss === inputs.selfOrg || !enrolled.has(a.iss)) continue
    if (a.sub === a.iss || inputs.orgOf(a.sub) === a.iss) continue
    if (a.sub === inputs.selfOrg || inputs.orgOf(a.sub) === inputs.selfOrg) continue
    // expired attestations stop counting at `exp` (intake tolerates skew; counting does not)
    if (inputs.now > a.exp * 1000 || a.iat * 1000 > inputs.now + ISSUED_SKEW_MS) continue
    const key = `${a.iss}\u0000${a.sub}`
    const prev = latest.get(key)
    if (prev == null || a.iat > prev.attestation.iat || (a.iat === prev.attestation.iat && a.jti > prev.attestation.jti)) latest.set(key, h)
  }
  return [...latest.values()]
}

function mean (opinions: ReadonlyArray<{ score: number, weight: number }>): number {
  let num = PRIOR_WEIGHT * NEUTRAL_SCORE
  let den = PRIOR_WEIGHT
  for (const o of opinions) { num += o.weight * o.score; den += o.weight }
  return num / den
}

export function computeTrustView (inputs: TrustInputs): TrustView {
  const { selfOrg, now } = inputs
  const known = new Set([selfOrg, ...inputs.orgs])
  const orgOf = (did: string): string | undefined => known.has(did) ? did : inputs.orgOf(did)
  const preTrusted = [selfOrg, ...inputs.preTrusted.filter(o => known.has(o) && o !== selfOrg)]

  // 1. local scores from admitted first-hand evidence
  const { accepted } = admitEvidence(inputs.evidence, { now })
  const bySubject = new Map<string, EvidenceRecord[]>()
  const subjectOrg = new Map<string, string>()
  for (const r of accepted) {
    if (r.subjectOrg === selfOrg) continue
    for (const s of new Set([r.subjectOrg, r.subjectAgent])) {
      let list = bySubject.get(s)
      if (list == null) bySubject.set(s, list = [])
      list.push(r)
      subjectOrg.set(s, r.subjectOrg)
    }
  }
  const local = new Map<string, LocalAssessment>()
  for (const [s, recs] of bySubject) local.set(s, localScore(recs, now, inputs.scoreOptions))

  // 2. personalised EigenTrust between orgs
  const atts = countableAttestations({ ...inputs, orgOf })
  const edges: TrustEdge[] = []
  for (const [s, a] of local) edges.push({ from: selfOrg, to: s, weight: localTrustFromScore(a.score) })
  for (const h of atts) edges.push({ from: h.attestation.iss, to: h.attestation.sub, weight: localTrustFromScore(h.attestation.score) })
  const orgOfForFold = (did: string): string | undefined => {
    const o = orgOf(did) ?? subjectOrg.get(did)
    return o != null && known.has(o) ? o : undefined
  }
  const folded = foldToOrgs(edges, orgOfForFold)
  const witnessWeights = new Map<string, number>([[selfOrg, 1]])
  let eigen: EigenTrustResult | undefined
  let eigenError: Failure | undefined
  const graph = compileTrustGraph(folded, [...known].sort())
  if (!graph.ok) eigenError = graph.error
  else {
    const r = eigenTrust(graph.value, { preTrusted, ...(inputs.alpha != null ? { alpha: inputs.alpha } : {}) })
    if (!r.ok) eigenError = r.error
    else if (!r.value.converged) eigenError = { code: 'NOT_CONVERGED', message: `EigenTrust did not converge (L1 change ${r.value.residual})` }
    else eigen = r.value
  }
  if (eigen != null) {
    const n = eigen.graph.ids.length
    for (let i = 0; i < n; i++) {
      const id = eigen.graph.ids[i]
      if (id !== selfOrg) witnessWeights.set(id, globalTrustToScore(eigen.trust[i], n) / MAX_SCORE)
    }
  }

  // 3. opinions per subject
  const subjects = new Map<string, SubjectTrust>()
  const opinionsOf = new Map<string, Opinion[]>()
  const addOpinion = (s: string, o: Opinion): void => {
    let l = opinionsOf.get(s)
    if (l == null) opinionsOf.set(s, l = [])
    l.push(o)
  }
  for (const [s, a] of local) addOpinion(s, { witness: selfOrg, kind: 'local', score: a.score, weight: 1, evidence: a.counts, moved: 0 })
  for (const h of atts) {
    const a = h.attestation
    addOpinion(a.sub, { witness: a.iss, kind: 'attestation', score: a.score, weight: witnessWeights.get(a.iss) ?? 0, evidence: a.evidence, moved: 0, id: h.id, iat: a.iat, exp: a.exp })
  }
  const candidates = new Set<string>([...inputs.orgs, ...opinionsOf.keys()])
  candidates.delete(selfOrg)
  const raw = new Map<string, { org: string, kind: 'org' | 'agent', score: number, opinions: Opinion[] }>()
  for (const s of candidates) {
    const org = orgOfForFold(s)
    if (org == null || org === selfOrg) continue // unknown org or our own: no cross-org trust to show
    const opinions = opinionsOf.get(s) ?? []
    const score = mean(opinions)
    for (const o of opinions) o.moved = score - mean(opinions.filter(x => x !== o))
    opinions.sort((a, b) => Math.abs(b.moved) - Math.abs(a.moved))
    raw.set(s, { org, kind: org === s ? 'org' : 'agent', score, opinions })
  }
  for (const [s, r] of raw) {
    const orgScore = clampScore(r.kind === 'org' ? r.score : raw.get(r.org)?.score ?? NEUTRAL_SCORE)
    const uncapped = clampScore(r.score)
    const score = r.kind === 'org' ? uncapped : capAgentScore(uncapped, orgScore)
    const la = local.get(s)
    const entry: SubjectTrust = {
      did: s,
      kind: r.kind,
      org: r.org,
      enrolled: known.has(r.org),
      score,
      tier: tierOf(score),
      ...(r.kind === 'agent' ? { uncapped } : {}),
      ...(la != null ? { local: la } : {}),
      opinions: r.opinions.map(o => ({ ...o, moved: Math.round(o.moved * 10) / 10, weight: Math.round(o.weight * 1000) / 1000 }))
    }
    if (r.kind === 'org' && eigen != null) {
      const i = eigen.graph.index.get(s)
      const t = i != null ? eigen.trust[i] : 0
      entry.standing = { trust: t, score: globalTrustToScore(t, eigen.graph.ids.length), preTrusted: preTrusted.includes(s) }
    }
    subjects.set(s, entry)
  }
  return { computedAt: now, selfOrg, preTrusted, ...(eigen != null ? { eigen } : {}), ...(eigenError != null ? { eigenError } : {}), witnessWeights, subjects }
}

/** Score of a DID in a view, as the task executor needs it (see TrustService.trustOf). */
export function scoreIn (view: TrustView, did: string): number | undefined {
  if (did === view.selfOrg) return MAX_SCORE
  return view.subjects.get(did)?.score
}

/** The EigenTrust path explanation of a subject's org. */
export function explainIn (view: TrustView, did: string): TrustExplanation | undefined {
  if (view.eigen == null) return undefined
  const org = view.subjects.get(did)?.org ?? did
  return explainTrust(view.eigen, org)
}

export { zeroCounts }
