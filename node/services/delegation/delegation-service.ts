/**
 * Delegation chains across organisations (DESIGN.md section 4) as a node service: the books of
 * delegations, principals, revocations and seen nonces; root delegations for new agents; delivery of
 * delegations to partners; revocation records gossiped and enforced.
 */
import { issueDelegation, issueRevocation, verifyRevocation, parseCid } from '../../../identity/ucan/index.js'
import { decodeJwt } from '../../../identity/jwt.js'
import { cidOfJwt } from '../../../identity/ucan/cid.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { AgentLifecycle, Components, Service } from '../../components.js'
import type { AgentRecord } from '../agents/agent-registry.js'
import { SUBLEVELS as Sublevel } from '../../store/sublevels.js'
import { DelegationBook, type StoredDelegation } from './delegation-book.js'
import { PrincipalBook } from './principal-book.js'
import type { KeySuccession } from '../../../identity/successor-record.js'
import { ReplayGuard } from './replay-guard.js'
import { RevocationBook, revocationKey, type StoredRevocation } from './revocation-book.js'
import { ChainChecker, DEFAULT_MAX_DELEGATION_TTL_SECONDS } from './chain-checker.js'
import { DelegationExchange } from './delegation-exchange.js'
import { RecordTopics } from '../../gossip/index.js'

const REPLAY_PRUNE_INTERVAL_MS = 60_000
/** How often revocations that no longer matter are deleted (default). */
export const REVOCATION_PRUNE_INTERVAL_MS = 10 * 60_000
/** A revocation of a known token is kept this long after the token expired (the clock skew allowed). */
const REVOCATION_GRACE_MS = 60_000

export const DELEGATION_DEPENDENCIES = ['clock', 'logger', 'identity', 'orgSigner', 'store', 'enrolments', 'gossip', 'agents', 'audit', 'mesh', 'registry'] as const
export type DelegationComponents = Pick<Components, typeof DELEGATION_DEPENDENCIES[number]>

/** The delegation parts the tasks service and the operator API share. */
export interface DelegationParts {
  book: DelegationBook
  principals: PrincipalBook
  replay: ReplayGuard
  revocations: RevocationBook
  checker: ChainChecker
  exchange: DelegationExchange
}

export interface DelegationService extends Service {
  readonly parts: DelegationParts
  /** Issues the org's root delegation of a new agent's abilities. */
  readonly roots: AgentLifecycle
  /** Revokes a token with the org key (the org is entitled for chains rooted in or through it). */
  revoke: (cid: string, reason?: string) => Promise<Result<{ cid: string, issuer: string }>>
  /** A revocation record a local agent signed: checked (by that agent, entitled), audited, gossiped. */
  submitRevocation: (agentDid: string, jwt: string) => Promise<Result<{ cid: string, issuer: string }>>
  /** Removes a local agent: its credentials are revoked by the org (signed records, gossiped), so every chain through it is refused at every hop. */
  removeAgent: (nameOrDid: string, reason?: string) => Promise<Result<{ agent: AgentRecord, revoked: string[] }>>
  /** Renews every local agent's credential due within `renewBeforeMs` (or past expiry), with a new root delegation; returns the names renewed. */
  renewDue: () => Promise<string[]>
  /** Delete revocations that no longer matter (see `RevocationBook.prunable`); runs on a timer. Returns how many. */
  pruneRevocations: () => Promise<number>
}

export interface DelegationOptions {
  /** Longest lifetime of a delegation in a chain (setting `maxDelegationTtlSeconds`). */
  maxTtlSeconds?: number
  /** Period of the revocation prune (default REVOCATION_PRUNE_INTERVAL_MS). */
  revocationPruneIntervalMs?: number
  /** Renew an agent's credential this long before it expires (setting `agentRenewBeforeMs`). */
  agentRenewBeforeMs?: number
  /** How often credentials due are renewed (default AGENT_RENEW_CHECK_MS). */
  agentRenewCheckMs?: number
  /** When an org key was retired by a successor record (seconds): its later tokens are KEY_RETIRED. */
  retiredAt?: (did: string) => number | undefined
  /**
   * Org key rotations (the successor book): a key and its successors are one org (bindings, revocation
   * authority), and what a retired key signed after its retirement is KEY_RETIRED. Implies `retiredAt`.
   */
  succession?: KeySuccession
}

/** How often the node looks for agent credentials due for renewal (default). */
export const AGENT_RENEW_CHECK_MS = 60_000
const DEFAULT_RENEW_BEFORE_MS = 7 * 24 * 3600_000

export function createDelegationService (ctx: DelegationComponents, options: DelegationOptions = {}): DelegationService {
  // an org's DIDs before a key rotation still vouch for what they issued before it
  const trustedOrgs = (): string[] => [ctx.identity.orgDid, ...(ctx.identity.previousOrgDids ?? []), ...ctx.enrolments.list().map(e => e.orgDid)]
  const retiredAt = options.succession?.retiredAt ?? options.retiredAt
  const revocations = new RevocationBook(ctx.store.repository<StoredRevocation>(Sublevel.revocations), Sublevel.revocations, retiredAt != null ? { retiredAt } : {})
  const principals = new PrincipalBook({
    repo: ctx.store.repository<string>(Sublevel.credentials),
    clock: ctx.clock,
    org: ctx.identity.orgDid,
    trustedOrgs,
    ...(options.succession != null ? { succession: options.succession } : {}),
    // an AgentCredential is revoked by the org that issued it, or that org under a later key
    // (a signed record on the revocations topic)
    isRevoked: (cid, issuer) => revocations.isRevoked(cid, new Set([issuer, ...(options.succession?.successorsOf(issuer) ?? [])])) != null,
    onConflict: (c) => {
      ctx.logger.warn('agent claim refused: the DID is bound to another org', { ...c })
      void ctx.audit.record({ kind: 'principal.conflict', subject: c.did, reason: 'PRINCIPAL_CONFLICT', details: { boundTo: c.boundTo, claimedBy: c.claimedBy, ...(c.from != null ? { from: c.from } : {}) } })
        .catch(() => {})
    }
  })
  // replay records of concurrent tasks share one atomic synced batch (group commit)
  const replay = new ReplayGuard(ctx.store.repository<number>(Sublevel.nonces), {
    commit: async (entries) => {
      const b = ctx.store.batch()
      for (const [k, until] of entries) b.put(Sublevel.nonces, k, until)
      await b.write()
    }
  })
  const book = new DelegationBook(ctx.store.repository<StoredDelegation>(Sublevel.delegations))
  const checker = new ChainChecker({ principals, replay, revocations, ...(options.maxTtlSeconds != null ? { maxTtlSeconds: options.maxTtlSeconds } : {}), ...(options.retiredAt != null ? { retiredAt: options.retiredAt } : {}), ...(options.succession != null ? { retiredAt: options.succession.retiredAt, successorsOf: options.succession.successorsOf } : {}) })
  const exchange = new DelegationExchange(ctx, book, principals)
  const parts: DelegationParts = { book, principals, replay, revocations, checker, exchange }

  /** Issuers allowed to revoke a token this node knows: itself, every issuer above it, its resource orgs. */
  const revokersOf = (cid: string): string[] | undefined => {
    if (book.get(cid) == null) return undefined
    return [...checker.revokersIn(cid, book.heldChainOf(cid).jwts)]
  }

  ctx.gossip.register<StoredRevocation & { quota: string }>({
    name: RecordTopics.revocations,
    sublevel: Sublevel.revocationRecords,
    maxBytes: 4096,
    maxRecords: 10_000,
    validate: (record, vctx) => {
      // a token this node knows is checked strictly; one it does not know yet is kept, signature-checked,
      // and takes effect only in chains where its issuer is entitled to revoke (checked at each use)
      const r = verifyRevocation(record, {
        now: vctx.now,
        chainIssuersOf: (cid) => revokersOf(cid) ?? [issuerOf(record)]
      })
      if (!r.ok) return r
      // accepted outright: a token we know (its issuer was checked against the chain above) or an
      // enrolled org; anything else is parked, all of one sending peer under one quota key (bounded)
      const known = revokersOf(r.value.revoke) != null || trustedOrgs().includes(r.value.issuer)
      const quota = known ? r.value.issuer : `parked:${vctx.fromOrg ?? 'local'}`
      return ok({ id: `${r.value.revoke}/${r.value.issuer}/${r.value.issuedAt}`, value: { cid: r.value.revoke, issuer: r.value.issuer, jwt: record, issuedAt: r.value.issuedAt, quota } })
    },
    issuerOf: (value) => value.quota,
    // the index goes to disk in the record's own synced batch; memory follows only after that write
    stage: ({ quota: _quota, ...value }, _id, batch) => { revocations.stage(value, batch) },
    onAccept: async ({ quota: _quota, ...value }) => {
      if (revocations.accepted(value)) ctx.logger.info('revocation accepted', { cid: value.cid, issuer: value.issuer })
    }
  })

  // every new agent gets the org's root delegation of its abilities on the org's own resources
  const issueRoot = async (agent: AgentRecord): Promise<void> => {
    const caps: Record<string, Record<string, Array<Record<string, never>>>> = { [`tm:${ctx.identity.orgDid}`]: {} }
    for (const a of agent.capabilities) caps[`tm:${ctx.identity.orgDid}`][a] = [{}]
    const root = await issueDelegation(ctx.orgSigner, { audience: agent.did, capabilities: caps, notBefore: Math.floor(agent.createdAt / 1000) - 1, expiration: Math.floor(agent.expiresAt / 1000) })
    await book.add(root.jwt, ctx.clock.now())
    await principals.add(agent.credential, { local: true })
    ctx.logger.info('root delegation issued', { agent: agent.name, cid: root.cid })
  }

  const revoke = async (cid: string, reason?: string): Promise<Result<{ cid: string, issuer: string }>> => {
    if (!parseCid(cid).ok) return fail('INVALID_CID', `${cid} is not a CID`)
    const allowed = revokersOf(cid)
    if (allowed == null) return fail('UNKNOWN_DELEGATION', `delegation ${cid} is not known to this node`)
    // the node holds no agent's key: an agent's own delegation is revoked by the agent (agent API, or --key)
    if (!allowed.includes(ctx.orgSigner.did)) return fail('REVOCATION_UNAUTHORISED', `the org key may not revoke ${cid}: only an issuer in its chain can (revoke it as that agent, with its key)`)
    const jwt = await issueRevocation(ctx.orgSigner, cid, ctx.clock, reason)
    return await publishRevocation(cid, ctx.orgSigner.did, jwt, reason)
  }

  const publishRevocation = async (cid: string, issuer: string, jwt: string, reason?: string): Promise<Result<{ cid: string, issuer: string }>> => {
    const audited = await ctx.audit.record({ kind: 'revocation', subject: cid, details: { issuer, reason } })
    if (!audited.ok) return audited
    const pub = await ctx.gossip.publish(RecordTopics.revocations, jwt)
    if (!pub.ok) return pub
    return ok({ cid, issuer })
  }

  const submitRevocation = async (agentDid: string, jwt: string): Promise<Result<{ cid: string, issuer: string }>> => {
    const claimed = issuerOf(jwt)
    if (claimed !== agentDid) return fail('NOT_ISSUER', `the revocation is signed by ${claimed || 'nobody'}, not by ${agentDid}: an agent revokes only as itself`)
    const payloadCid = revokedCidOf(jwt)
    const allowed = payloadCid != null ? revokersOf(payloadCid) : undefined
    if (payloadCid == null || allowed == null) return fail('UNKNOWN_DELEGATION', `delegation ${String(payloadCid)} is not known to this node`)
    const r = verifyRevocation(jwt, { now: ctx.clock.now(), chainIssuersOf: () => allowed })
    if (!r.ok) return r
    return await publishRevocation(r.value.revoke, agentDid, jwt, r.value.reason)
  }

  const removeAgent = async (nameOrDid: string, reason = 'agent removed'): Promise<Result<{ agent: AgentRecord, revoked: string[] }>> => {
    const agent = await ctx.agents.get(nameOrDid)
    if (agent == null) return fail('UNKNOWN_AGENT', `no local agent ${nameOrDid}`)
    const now = ctx.clock.now()
    const revoked: string[] = []
    // the current credential and any earlier one not yet expired: a partner may still hold either
    for (const jwt of [agent.credential, ...(agent.previous ?? [])]) {
      const exp = expOf(jwt)
      if (jwt !== agent.credential && exp != null && exp * 1000 <= now - REVOCATION_GRACE_MS) continue
      const cid = cidOfJwt(jwt)
      const record = await issueRevocation(ctx.orgSigner, cid, ctx.clock, reason)
      const pub = await publishRevocation(cid, ctx.orgSigner.did, record, reason)
      if (!pub.ok) return pub
      revoked.push(cid)
    }
    await ctx.agents.remove(agent.name)
    ctx.logger.info('agent removed', { agent: agent.name, did: agent.did, revoked })
    return ok({ agent, revoked })
  }

  const renewBeforeMs = options.agentRenewBeforeMs ?? DEFAULT_RENEW_BEFORE_MS
  let renewing: Promise<string[]> | undefined
  const renewDue = async (): Promise<string[]> => {
    if (renewing != null) return await renewing
    renewing = (async () => {
      const renewed: string[] = []
      for (const a of await ctx.agents.list()) {
        if (a.expiresAt - ctx.clock.now() > renewBeforeMs) continue
        const pc = principals.check(a.did)
        if (!pc.ok && pc.error.code === 'CREDENTIAL_REVOKED') continue
        try {
          // the same lifetime as before; the agent re-accepts (the SDK checks every minute)
          const issued = claimOf(a.credential, 'nbf') ?? claimOf(a.credential, 'iat')
          const ttlSeconds = Math.max(60, (expOf(a.credential) ?? 0) - (issued ?? 0))
          const next = await ctx.agents.renew(a.name, ttlSeconds)
          await issueRoot({ ...next, createdAt: ctx.clock.now() })
          renewed.push(a.name)
          ctx.logger.info('agent credential renewed', { agent: a.name, expiresAt: new Date(next.expiresAt).toISOString() })
        } catch (err) {
          ctx.logger.warn('agent credential renewal failed', { agent: a.name, error: (err as Error).message })
        }
      }
      return renewed
    })()
    try { return await renewing } finally { renewing = undefined }
  }
  let renewTimer: NodeJS.Timeout | undefined

  // A revocation of a known token goes once the token has expired. One of a token we do not know is
  // kept for the longest lifetime a delegation may have here (maxTtlSeconds): a token it could revoke
  // would have expired by then (unless its nbf lay in the future when revoked: a token the revoker
  // made and revoked in advance, which still expires after at most that long from its nbf).
  const parkedMaxAgeMs = (options.maxTtlSeconds ?? DEFAULT_MAX_DELEGATION_TTL_SECONDS) * 1000
  let pruning: Promise<number> | undefined
  const pruneRevocations = async (): Promise<number> => {
    if (pruning != null) return await pruning
    pruning = (async () => {
      const expiryOf = (cid: string): number | undefined => book.get(cid)?.expiration ?? undefined
      const stale = revocations.prunable(ctx.clock.now(), expiryOf, { graceMs: REVOCATION_GRACE_MS, maxAgeMs: parkedMaxAgeMs })
      if (stale.length === 0) return 0
      await ctx.gossip.prune(RecordTopics.revocations, stale.map(revocationKey), (batch) => { for (const r of stale) revocations.stageRemoval(r, batch) })
      for (const r of stale) revocations.removed(r)
      ctx.logger.info('revocations pruned', { count: stale.length })
      return stale.length
    })()
    try { return await pruning } finally { pruning = undefined }
  }
  let revocationTimer: NodeJS.Timeout | undefined

  /** Seen nonces are kept until their invocation expires (plus grace), then dropped from memory and disk. */
  let pruneTimer: NodeJS.Timeout | undefined
  let started = false

  return {
    name: 'delegation',
    dependencies: DELEGATION_DEPENDENCIES,
    parts,
    roots: {
      agentCreated: issueRoot,
      agentAccepted: async (a) => { await principals.add(a.credential, { local: true, ...(a.acceptance != null ? { acceptance: a.acceptance } : {}) }) },
      removeAgent: async (nameOrDid) => await removeAgent(nameOrDid)
    },
    revoke,
    submitRevocation,
    removeAgent,
    renewDue,
    pruneRevocations,
    async start () {
      if (started) return
      started = true
      await Promise.all([principals.load(), replay.load(ctx.clock.now()), revocations.load(), book.load()])
      const rooted = new Set(book.list().filter(r => r.issuer === ctx.identity.orgDid).map(r => r.audience))
      for (const a of await ctx.agents.list()) {
        await principals.add(a.credential, { local: true, ...(a.acceptance != null ? { acceptance: a.acceptance } : {}) })
        // a crash between writing an agent and its root delegation left it unable to act: repair that
        if (!rooted.has(a.did) && a.expiresAt > ctx.clock.now()) {
          await issueRoot(a).catch(err => { ctx.logger.warn('root delegation repair failed', { agent: a.name, error: (err as Error).message }) })
        }
      }
      await exchange.start()
      pruneTimer ??= setInterval(() => { replay.prune(ctx.clock.now()) }, REPLAY_PRUNE_INTERVAL_MS)
      pruneTimer.unref()
      revocationTimer ??= setInterval(() => {
        pruneRevocations().catch(err => { ctx.logger.warn('revocation prune failed', { error: (err as Error).message }) })
      }, options.revocationPruneIntervalMs ?? REVOCATION_PRUNE_INTERVAL_MS)
      revocationTimer.unref()
      await renewDue()
      renewTimer ??= setInterval(() => { renewDue().catch(err => { ctx.logger.warn('agent renewal failed', { error: (err as Error).message }) }) }, options.agentRenewCheckMs ?? AGENT_RENEW_CHECK_MS)
      renewTimer.unref()
    },
    async stop () {
      started = false
      if (pruneTimer != null) clearInterval(pruneTimer)
      pruneTimer = undefined
      if (revocationTimer != null) clearInterval(revocationTimer)
      revocationTimer = undefined
      if (renewTimer != null) clearInterval(renewTimer)
      renewTimer = undefined
    }
  }
}

/** The CID a revocation record names, before its signature is checked. */
function revokedCidOf (jwt: string): string | undefined {
  const d = decodeJwt(jwt)
  return d.ok && typeof d.value.payload.revoke === 'string' ? d.value.payload.revoke : undefined
}

/** The claimed issuer of a record, before its signature is checked (that is verifyRevocation's job). */
function issuerOf (jwt: string): string {
  const d = decodeJwt(jwt)
  return d.ok && typeof d.value.payload.iss === 'string' ? d.value.payload.iss : ''
}

/** A JWT's `exp` (seconds), before its signature is checked. */
function expOf (jwt: string): number | undefined {
  return claimOf(jwt, 'exp')
}

function claimOf (jwt: string, claim: 'exp' | 'nbf' | 'iat'): number | undefined {
  const d = decodeJwt(jwt)
  const v = d.ok ? d.value.payload[claim] : undefined
  return typeof v === 'number' ? v : undefined
}
