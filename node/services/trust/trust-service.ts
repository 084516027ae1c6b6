/**
 * The node side of trust (DESIGN.md section 7): collects first-hand evidence (receipts, timeouts,
 * forged attestations), publishes this node's local scores as signed TrustAttestations on
 * `/trustmesh/trust/1` (every interval as a refresh, at once when a score moves past the threshold),
 * keeps the attestations peers publish, and serves the combined view (trust-engine.ts) to the task
 * executor, gossipsub's peer score, the control API and `node status`.
 */
import { verifyAgentCredential } from '../../../identity/credentials.js'
import type { Signer } from '../../../identity/signer.js'
import type { Clock } from '../../../identity/clock.js'
import type { Logger } from '../../../identity/logger.js'
import type { Store } from '../../store/open-store.js'
import type { Enrolments } from '../../mesh/enrolments.js'
import type { RecordGossip } from '../../gossip/index.js'
import { RecordTopics } from '../../gossip/index.js'
import { SUBLEVELS } from '../../store/sublevels.js'
import type { TaskRecord } from '../tasks/task-log.js'
import { NEUTRAL_SCORE, DAY_MS, capAgentScore, issueAttestation, shouldPublish, verifyAttestation, type EvidenceRecord } from '../../../trust/index.js'
import { EvidenceStore } from './evidence-store.js'
import { VIOLATION_CODES, evidenceFromReceipt, misbehaviourEvidence, timeoutEvidence } from './evidence-from-receipt.js'
import { attestationTopic } from './attestation-topic.js'
import { computeTrustView, countableAttestations, scoreIn, type HeldAttestation, type TrustView } from './trust-engine.js'
import type { TrustSettings } from './trust-settings.js'

/** Local scores: evidence half-life. */
const HALF_LIFE_MS = 14 * DAY_MS
/** A cached view is recomputed at least this often (decay, enrolment changes). */
const VIEW_MAX_AGE_MS = 5_000
/** How far back the task log is searched for timed-out tasks at start, ms. */
const TIMEOUT_SCAN_AT_START_MS = DAY_MS
/** Tasks time out after at most this long; the periodic scan looks back this far. */
const TIMEOUT_SCAN_WINDOW_MS = 5 * 60_000
/** Stored attestations are deleted this long after they expire (less than the 60 s intake skew). */
const PRUNE_AFTER_EXPIRY_MS = 30_000

export interface TrustServiceDeps {
  clock: Clock
  logger: Logger
  /** This org's DID now (read at each use: it changes at an org key rotation). */
  readonly selfOrg: string
  /**
   * The DID an org speaks as now, following verified successor records: evidence, attestations and
   * enrolments under an org's earlier DIDs count for that one org, so a key rotation keeps its standing.
   */
  currentOrg?: (did: string) => string
  orgSigner: Signer
  enrolments: Pick<Enrolments, 'get' | 'list'>
  store: Pick<Store, 'repository'>
  gossip: Pick<RecordGossip, 'register' | 'publish' | 'list'>
  /** DIDs of the agents hosted here. */
  localAgents: () => Promise<string[]>
  settings: TrustSettings
}

export interface TrustStatus {
  evidence: number
  attestationsHeld: number
  attestationsCounted: number
  published: number
  misbehaviour: Record<string, number>
  intervalMs: number
  threshold: number
  ttlSeconds: number
  eigenTrust: { iterations: number, converged: boolean } | { error: string }
}

export class TrustService {
  readonly #d: TrustServiceDeps
  readonly #log: Logger
  readonly #evidence: EvidenceStore
  readonly #held = new Map<string, HeldAttestation>()
  readonly #agentOrg = new Map<string, string>()
  /** Last attestation we published per subject: score and issued-at (s). */
  readonly #published = new Map<string, { score: number, iat: number, evidence: number }>()
  readonly #misbehaviour = new Map<string, number>()
  #publishedCount = 0
  #view?: TrustView
  #viewKey = ''
  #viewExpires = 0
  #dirty = true
  #timer?: NodeJS.Timeout
  #kickTimer?: NodeJS.Timeout
  #chain: Promise<void> = Promise.resolve()
  #started = false

  constructor (deps: TrustServiceDeps) {
    this.#d = deps
    this.#log = deps.logger
    this.#evidence = new EvidenceStore({ repo: deps.store.repository<EvidenceRecord>(SUBLEVELS.trustEvidence), logger: deps.logger })
  }

  /** Register the attestation topic with record gossip (before the gossip starts). */
  registerTopic (): void {
    this.#d.gossip.register(attestationTopic({
      isEnrolledOrg: (did) => did === this.#d.selfOrg || this.#d.enrolments.get(did) != null,
      orgOf: (did) => this.#agentOrg.get(did),
      onAccept: async (held) => { this.#hold(held) },
      onMisbehaviour: (fromOrg, id, code, message) => {
        this.#misbehaviour.set(fromOrg, (this.#misbehaviour.get(fromOrg) ?? 0) + 1)
        this.#log.warn('invalid attestation from peer: counted against it', { org: fromOrg, code, reason: message })
        const rec = misbehaviourEvidence(id, fromOrg, this.#d.selfOrg, this.#d.clock.now())
        if (rec != null) this.#addEvidence(rec).catch(err => { this.#log.error('could not record misbehaviour', { error: (err as Error).message }) })
      }
    }))
  }

  async start (): Promise<void> {
    if (this.#started) return
    this.#started = true
    await this.#evidence.load()
    for (const r of this.#evidence.all()) if (r.subjectAgent !== r.subjectOrg) this.#agentOrg.set(r.subjectAgent, r.subjectOrg)
    for (const did of await this.#d.localAgents()) this.#agentOrg.set(did, this.#d.selfOrg)
    const now = this.#d.clock.now()
    for (const e of await this.#d.gossip.list(RecordTopics.trust)) {
      const v = verifyAttestation(e.record, { isEnrolledOrg: () => true, clock: this.#d.clock })
      if (!v.ok) continue
      this.#hold({ id: e.id, attestation: v.value, ...(e.fromOrg != null ? { fromOrg: e.fromOrg } : {}) })
    }
    await this.#scanTimeouts(now - TIMEOUT_SCAN_AT_START_MS)
    this.#timer = setInterval(() => { this.#enqueue(async () => { await this.#tick() }) }, this.#d.settings.intervalMs)
    this.#timer.unref()
    this.#enqueue(async () => { await this.#publishDue() })
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    clearInterval(this.#timer)
    clearTimeout(this.#kickTimer)
    await this.#chain
  }

  /** Record what a receipt this node signed or received says (the `receipt` hook). */
  async onReceipt (receipt: string, direction: 'issued' | 'received'): Promise<void> {
    let invokerOrg: string | undefined
    // the invoker's org matters only for a denial for a violation (the only issued receipt that is
    // evidence): resolving it for every task read the credentials sublevel on every reply (B12 profile)
    if (direction === 'issued' && isViolationDenial(receipt)) invokerOrg = await this.#invokerOrg(receipt)
    const { record, skipped } = evidenceFromReceipt({ receipt, direction, selfOrg: this.#d.selfOrg, now: this.#d.clock.now(), ...(invokerOrg != null ? { invokerOrg } : {}) })
    if (record == null) { this.#log.debug('receipt is no trust evidence', { direction, reason: skipped }); return }
    await this.#addEvidence(record)
  }

  /** A new local agent (its org is ours: never a cross-org subject). */
  agentCreated (did: string): void {
    this.#agentOrg.set(did, this.#d.selfOrg)
  }

  /**
   * An org DID as the org speaks now (an org that never rotated is itself). Only enrolled orgs follow
   * successor records: an agent that names a successor of its own key (a record anyone can make for
   * a key they hold) must not shed its evidence that way.
   */
  #org (did: string): string {
    if (this.#d.currentOrg == null || this.#d.enrolments.get(did) == null) return did
    return this.#d.currentOrg(did)
  }

  /** Evidence and attestations with every org DID as its org speaks now (a rotation keeps standing). */
  #currentInputs (): { evidence: EvidenceRecord[], attestations: HeldAttestation[] } {
    const evidence = this.#evidence.all().map(r => {
      const subjectOrg = this.#org(r.subjectOrg)
      const executorOrg = this.#org(r.executorOrg)
      const subjectAgent = r.subjectAgent === r.subjectOrg ? subjectOrg : r.subjectAgent
      return subjectOrg === r.subjectOrg && executorOrg === r.executorOrg && subjectAgent === r.subjectAgent ? r : { ...r, subjectOrg, executorOrg, subjectAgent }
    })
    const attestations = [...this.#held.values()].map(h => {
      const iss = this.#org(h.attestation.iss)
      const sub = this.#org(h.attestation.sub)
      return iss === h.attestation.iss && sub === h.attestation.sub ? h : { ...h, attestation: { ...h.attestation, iss, sub } }
    })
    return { evidence, attestations }
  }

  /** The combined view, recomputed when something changed or it is stale. */
  view (): TrustView {
    const now = this.#d.clock.now()
    const enrolled = this.#d.enrolments.list()
    const key = `${this.#d.selfOrg};` + enrolled.map(e => `${this.#org(e.orgDid)}:${e.preTrusted ? 1 : 0}`).join(',')
    if (this.#view == null || this.#dirty || key !== this.#viewKey || now >= this.#viewExpires) {
      const selfOrg = this.#org(this.#d.selfOrg)
      const { evidence, attestations } = this.#currentInputs()
      const inputs = {
        selfOrg,
        // an org enrolled under its old and its new DID is one org
        orgs: [...new Set(enrolled.map(e => this.#org(e.orgDid)))].filter(o => o !== selfOrg),
        preTrusted: [...new Set(enrolled.filter(e => e.preTrusted).map(e => this.#org(e.orgDid)))],
        evidence,
        attestations,
        orgOf: (did: string) => { const o = this.#agentOrg.get(did); return o == null ? undefined : this.#org(o) },
        now,
        scoreOptions: { halfLifeMs: HALF_LIFE_MS }
      }
      this.#view = computeTrustView(inputs)
      // recompute as soon as a counted attestation expires, so expired ones stop counting at once
      let expires = now + VIEW_MAX_AGE_MS
      for (const h of countableAttestations(inputs)) expires = Math.min(expires, h.attestation.exp * 1000 + 1)
      this.#viewExpires = expires
      this.#viewKey = key
      this.#dirty = false
    }
    return this.#view
  }

  /**
   * Score 0..1000 of an org or agent DID for policies, caveats and peer scoring: this org 1000; an
   * enrolled org always has one (NEUTRAL without evidence); an agent of a known org its own score
   * capped by its org's; anything else undefined (an unknown party, which `minTrust` refuses).
   */
  trustOf (did: string): number | undefined {
    const view = this.view()
    const s = scoreIn(view, this.#org(did))
    if (s != null) return s
    const org = this.#agentOrg.get(did)
    if (org == null) return undefined
    const orgScore = scoreIn(view, this.#org(org))
    return orgScore == null ? undefined : capAgentScore(NEUTRAL_SCORE, orgScore)
  }

  /** Evidence this node holds about a DID (as subject agent or org), newest first. */
  evidenceAbout (did: string, limit = 20): EvidenceRecord[] {
    const org = this.#org(did)
    return this.#evidence.all().filter(r => r.subjectAgent === did || this.#org(r.subjectOrg) === org).sort((a, b) => b.at - a.at).slice(0, limit)
  }

  /**
   * Forget this node's first-hand evidence about `did` (an agent, or an org and all its agents): the
   * operator's `trust forgive`, audited by the caller before it is called. Attestations of other orgs
   * are theirs and stay. Returns how many records went.
   */
  async forgive (did: string): Promise<number> {
    const org = this.#org(did)
    const n = await this.#evidence.remove(r => r.subjectAgent === did || this.#org(r.subjectOrg) === org)
    if (n > 0) {
      this.#dirty = true
      this.#kick()
    }
    return n
  }

  orgOf (did: string): string | undefined {
    if (did === this.#d.selfOrg || this.#d.enrolments.get(did) != null) return did
    return this.#agentOrg.get(did)
  }

  status (): TrustStatus {
    const view = this.view()
    return {
      evidence: this.#evidence.size,
      attestationsHeld: this.#held.size,
      attestationsCounted: [...view.subjects.values()].reduce((n, s) => n + s.opinions.filter(o => o.kind === 'attestation').length, 0),
      published: this.#publishedCount,
      misbehaviour: Object.fromEntries(this.#misbehaviour),
      intervalMs: this.#d.settings.intervalMs,
      threshold: this.#d.settings.threshold,
      ttlSeconds: this.#d.settings.ttlSeconds,
      eigenTrust: view.eigen != null ? { iterations: view.eigen.iterations, converged: view.eigen.converged } : { error: view.eigenError?.message ?? 'not computed' }
    }
  }

  /** Run one tick now (tests and tools): scan timeouts, publish what is due, prune. */
  async tick (): Promise<void> {
    await new Promise<void>((resolve, reject) => { this.#enqueue(async () => { await this.#tick().then(resolve, reject) }) })
  }

  #hold (held: HeldAttestation): void {
    if (held.attestation.iss === this.#d.selfOrg) {
      const prev = this.#published.get(held.attestation.sub)
      const e = held.attestation.evidence
      if (prev == null || held.attestation.iat >= prev.iat) this.#published.set(held.attestation.sub, { score: held.attestation.score, iat: held.attestation.iat, evidence: e.ok + e.error + e.denied + e.timeout })
    }
    this.#held.set(held.id, held)
    this.#dirty = true
  }

  async #addEvidence (record: EvidenceRecord): Promise<void> {
    if (!await this.#evidence.add(record)) return
    if (record.subjectAgent !== record.subjectOrg) this.#agentOrg.set(record.subjectAgent, record.subjectOrg)
    this.#dirty = true
    this.#log.info('trust evidence recorded', { subject: record.subjectAgent, org: record.subjectOrg, outcome: record.outcome, ...(record.policyViolation === true ? { violation: true } : {}) })
    this.#kick()
  }

  /** Publish soon (a burst of evidence is one publish round). */
  #kick (): void {
    if (!this.#started || this.#kickTimer != null) return
    this.#kickTimer = setTimeout(() => {
      this.#kickTimer = undefined
      this.#enqueue(async () => { await this.#publishDue() })
    }, 50)
    this.#kickTimer.unref()
  }

  #enqueue (job: () => Promise<void>): void {
    this.#chain = this.#chain.then(async () => { if (this.#started) await job() }).catch(err => { this.#log.error('trust job failed', { error: (err as Error).message }) })
  }

  async #tick (): Promise<void> {
    const now = this.#d.clock.now()
    await this.#scanTimeouts(now - TIMEOUT_SCAN_WINDOW_MS)
    await this.#prune(now)
    await this.#publishDue(true)
  }

  /** Publish our local score of every subject we hold evidence about when it is new, moved past the threshold, changed (periodic), or is half-way to expiry. */
  async #publishDue (periodic = false): Promise<void> {
    const { settings, clock, orgSigner, gossip } = this.#d
    const view = this.view()
    const nowS = Math.floor(clock.now() / 1000)
    for (const s of view.subjects.values()) {
      const local = s.local
      if (local == null || local.evidence === 0 || !s.enrolled) continue
      const prev = this.#published.get(s.did)
      // at once: new subject or a move past the threshold; each interval: any change; always before half the lifetime
      const changed = prev != null && (prev.score !== local.score || prev.evidence !== local.evidence)
      const due = prev == null || shouldPublish(prev.score, local.score, settings.threshold) || (periodic && changed) || nowS - prev.iat >= settings.ttlSeconds / 2
      if (!due) continue
      const jwt = await issueAttestation(orgSigner, { sub: s.did, score: local.score, evidence: { ...local.counts } }, clock, settings.ttlSeconds)
      const r = await gossip.publish(RecordTopics.trust, jwt)
      if (!r.ok) { this.#log.warn('attestation not published', { subject: s.did, code: r.error.code, reason: r.error.message }); continue }
      this.#published.set(s.did, { score: local.score, iat: nowS, evidence: local.evidence })
      this.#publishedCount++
      this.#log.debug('attestation published', { subject: s.did, score: local.score })
    }
  }

  async #scanTimeouts (since: number): Promise<void> {
    const repo = this.#d.store.repository<TaskRecord>(SUBLEVELS.tasks)
    const from = String(Math.max(0, since)).padStart(15, '0')
    for await (const t of repo.values({ gte: from })) {
      if (t.direction !== 'sent' || t.code !== 'TASK_TIMEOUT' || this.#evidence.has(t.id)) continue
      const rec = timeoutEvidence(t, this.#d.selfOrg)
      if (rec != null) await this.#addEvidence(rec)
    }
  }

  async #prune (now: number): Promise<void> {
    const repo = this.#d.store.repository(SUBLEVELS.trustAttestations)
    for (const [id, h] of this.#held) {
      if (now > h.attestation.exp * 1000 + PRUNE_AFTER_EXPIRY_MS) {
        await repo.del(id)
        this.#held.delete(id)
        this.#dirty = true
      }
    }
    if (await this.#evidence.prune(now, HALF_LIFE_MS) > 0) this.#dirty = true
  }

  /** The invoker's org from its AgentCredential as stored by the delegation feature. */
  async #invokerOrg (receipt: string): Promise<string | undefined> {
    let invoker: unknown
    try { invoker = (JSON.parse(Buffer.from(receipt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { invoker?: unknown }).invoker } catch { return undefined }
    if (typeof invoker !== 'string') return undefined
    const known = this.#agentOrg.get(invoker)
    if (known != null) return known
    const stored = await this.#d.store.repository<string>(SUBLEVELS.credentials).get(invoker).catch(() => undefined)
    // the principal book stores a binding ({ org, credential, acceptance }) as JSON, or (older stores) the bare JWT
    const jwt = typeof stored === 'string' && stored.startsWith('{') ? credentialOfBinding(stored) : stored
    if (typeof jwt !== 'string') return undefined
    const v = verifyAgentCredential(jwt, { clock: this.#d.clock, expectedIssuer: [this.#d.selfOrg, ...this.#d.enrolments.list().map(e => e.orgDid)] })
    if (!v.ok || v.value.subject.id !== invoker) return undefined
    this.#agentOrg.set(invoker, v.value.issuer)
    return v.value.issuer
  }
}

/** Whether an issued receipt is a denial for a violation (decoded only; evidenceFromReceipt verifies it). */
function isViolationDenial (receipt: string): boolean {
  try {
    const p = JSON.parse(Buffer.from(receipt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { outcome?: unknown, code?: unknown }
    return p.outcome === 'denied' && typeof p.code === 'string' && VIOLATION_CODES.has(p.code)
  } catch {
    return false
  }
}

function credentialOfBinding (stored: string): string | undefined {
  try {
    const b = JSON.parse(stored) as { credential?: unknown }
    return typeof b.credential === 'string' ? b.credential : undefined
  } catch {
    return undefined
  }
}
