/**
 * Control API routes for trust: the ranked list (`trust list`), one subject's score with the local
 * evidence and the attestations that moved it (`trust show`), the EigenTrust path from the
 * pre-trusted set (`trust explain`), connected peers' trust and gossipsub scores, and `trust forgive`
 * (audited before it takes effect).
 */
import { isDidKey } from '../../../identity/did-key.js'
import { ControlRouteError } from '../errors.js'
import type { AuditRecorder, Components } from '../../components.js'
import { audited } from './audited.js'
import type { GossipsubScoring } from '../../gossip/peer-score.js'
import { NEUTRAL_SCORE, PRETRUSTED_SOURCE, TIER_THRESHOLDS, tierOf, type Tier } from '../../../trust/index.js'
import type { TrustService } from '../../services/trust/trust-service.js'
import { explainIn, type SubjectTrust } from '../../services/trust/trust-engine.js'

const TIERS = TIER_THRESHOLDS.map(([t]) => t)

export interface TrustListRow {
  did: string
  kind: 'org' | 'agent'
  org: string
  name?: string
  score: number
  tier: Tier
  localScore?: number
  evidence: number
  attestations: number
  standing?: number
}

function row (s: SubjectTrust, name: (did: string) => string | undefined): TrustListRow {
  const n = name(s.did)
  return {
    did: s.did,
    kind: s.kind,
    org: s.org,
    ...(n != null ? { name: n } : {}),
    score: s.score,
    tier: s.tier,
    ...(s.local != null ? { localScore: s.local.score } : {}),
    evidence: s.local?.evidence ?? 0,
    attestations: s.opinions.filter(o => o.kind === 'attestation').length,
    ...(s.standing != null ? { standing: s.standing.score } : {})
  }
}

/** What the trust routes use of the trust service. */
export type TrustOperations = Pick<TrustService, 'view' | 'trustOf' | 'evidenceAbout' | 'orgOf' | 'forgive'>

const MAX_REASON_CHARS = 1_000

export function trustRoutes (ctx: Pick<Components, 'control' | 'identity' | 'enrolments' | 'libp2p' | 'registry'>, trust: TrustOperations, audit: AuditRecorder): void {
  const name = (did: string): string | undefined => did === ctx.identity.orgDid ? ctx.identity.orgName : ctx.enrolments.get(did)?.name
  const didParam = (did: string | undefined): string => {
    if (!isDidKey(did)) throw new ControlRouteError('INVALID_DID', `${JSON.stringify(did)} is not a did:key`, 400)
    return did
  }

  ctx.control.route('GET', '/v1/trust', async (req) => {
    const tier = req.query.tier
    if (tier != null && !(TIERS as string[]).includes(tier)) throw new ControlRouteError('BAD_REQUEST', `--tier must be one of ${TIERS.join(', ')}`, 400)
    const rows = [...trust.view().subjects.values()].filter(s => tier == null || s.tier === tier).map(s => row(s, name))
    return rows.sort((a, b) => b.score - a.score || a.did.localeCompare(b.did))
  })

  ctx.control.route('GET', '/v1/trust/peers', async () => {
    const pubsub = ctx.libp2p.services.pubsub as unknown as GossipsubScoring
    return ctx.registry.peers().map(p => ({
      peerId: p.peerId,
      orgDid: p.orgDid,
      name: name(p.orgDid),
      trust: trust.trustOf(p.orgDid) ?? null,
      gossipScore: pubsub.getScore?.(p.peerId) ?? null
    }))
  })

  ctx.control.route('GET', '/v1/trust/:did', async (req) => {
    const did = didParam(req.params.did)
    const view = trust.view()
    const s = view.subjects.get(did)
    const evidence = trust.evidenceAbout(did)
    if (did === ctx.identity.orgDid) {
      return { did, kind: 'org', org: did, name: ctx.identity.orgName, self: true, known: true, score: trust.trustOf(did), tier: tierOf(trust.trustOf(did) ?? 0), opinions: [], evidence: [], note: 'this node\'s own organisation: self-evidence never counts toward cross-org trust' }
    }
    if (s == null) {
      const score = trust.trustOf(did)
      return { did, known: false, ...(trust.orgOf(did) != null ? { org: trust.orgOf(did) } : {}), score: score ?? null, tier: score != null ? tierOf(score) : null, startsAt: NEUTRAL_SCORE, opinions: [], evidence, note: 'no evidence and no attestation about this DID: an unknown party starts probationary' }
    }
    return {
      ...s,
      known: true,
      name: name(did),
      orgName: name(s.org),
      opinions: s.opinions.map(o => ({ ...o, witnessName: name(o.witness) })),
      evidence
    }
  })

  ctx.control.route('GET', '/v1/trust/:did/explain', async (req) => {
    const did = didParam(req.params.did)
    const view = trust.view()
    const s = view.subjects.get(did)
    const org = s?.org ?? trust.orgOf(did) ?? did
    const e = explainIn(view, org)
    return {
      did,
      org,
      orgName: name(org),
      score: trust.trustOf(did) ?? null,
      tier: s?.tier ?? null,
      preTrusted: view.preTrusted.map(p => ({ did: p, name: name(p) })),
      ...(view.eigenError != null ? { eigenTrustError: view.eigenError } : {}),
      ...(e != null
        ? {
            standing: { trust: e.trust, score: e.score, tier: e.tier, preTrusted: e.preTrusted },
            path: e.path.map(p => ({ ...p, fromName: name(p.from), toName: name(p.to) })),
            pathStrength: e.pathStrength,
            contributions: e.contributions.map(c => ({ ...c, name: c.source === PRETRUSTED_SOURCE ? undefined : name(c.source) }))
          }
        : {}),
      opinions: (s?.opinions ?? []).map(o => ({ ...o, witnessName: name(o.witness) }))
    }
  })

  ctx.control.route('POST', '/v1/trust/:did/forgive', async (req) => {
    const did = didParam(req.params.did)
    const b = (req.body ?? {}) as Record<string, unknown>
    if (b.reason != null && (typeof b.reason !== 'string' || b.reason.length > MAX_REASON_CHARS)) throw new ControlRouteError('BAD_REQUEST', `reason must be a string of at most ${MAX_REASON_CHARS} characters`, 400)
    if (did === ctx.identity.orgDid) throw new ControlRouteError('BAD_REQUEST', 'this node holds no evidence about its own organisation', 400)
    const evidence = trust.evidenceAbout(did, Number.MAX_SAFE_INTEGER)
    const before = trust.trustOf(did) ?? null
    await audited(audit, {
      kind: 'trust.update',
      subject: did,
      ...(typeof b.reason === 'string' ? { reason: b.reason } : {}),
      details: { action: 'forgive', evidence: evidence.length, scoreBefore: before, receipts: evidence.slice(0, 100).map(e => e.receiptCid) }
    })
    const forgiven = await trust.forgive(did)
    const score = trust.trustOf(did) ?? null
    return { did, forgiven, scoreBefore: before, score, tier: score != null ? tierOf(score) : null }
  })
}
