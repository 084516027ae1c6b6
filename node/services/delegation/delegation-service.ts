/**
 * Delegation chains across organisations (DESIGN.md section 4) as a node service: the books of
 * delegations, principals, revocations and seen nonces; root delegations for new agents; delivery of
 * delegations to partners; revocation records gossiped and enforced.
 */
import { issueDelegation, issueRevocation, verifyRevocation, parseCid } from '../../../identity/ucan/index.js'
import { decodeJwt } from '../../../identity/jwt.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import type { AgentLifecycle, Components, Service } from '../../components.js'
import type { AgentRecord } from '../agents/agent-registry.js'
import { SUBLEVELS as Sublevel } from '../../store/sublevels.js'
import { DelegationBook, type StoredDelegation } from './delegation-book.js'
import { PrincipalBook } from './principal-book.js'
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

export const DELEGATION_DEPENDENCIES = ['clock', 'logger', 'identity', 'orgSigner', 'store', 'enrolments', 'gossip', 'agents', 'audit', 'mesh'] as const
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
  /** Delete revocations that no longer matter (see `RevocationBook.prunable`); runs on a timer. Returns how many. */
  pruneRevocations: () => Promise<number>
}

export interface DelegationOptions {
  /** Longest lifetime of a delegation in a chain (setting `maxDelegationTtlSeconds`). */
  maxTtlSeconds?: number
  /** Period of the revocation prune (default REVOCATION_PRUNE_INTERVAL_MS). */
  revocationPruneIntervalMs?: number
}

export function createDelegationService (ctx: DelegationComponents, options: DelegationOptions = {}): DelegationService {
  const trustedOrgs = (): string[] => [ctx.identity.orgDid, ...ctx.enrolments.list().map(e => e.orgDid)]
  const principals = new PrincipalBook({ repo: ctx.store.repository<string>(Sublevel.credentials), clock: ctx.clock, trustedOrgs })
  const replay = new ReplayGuard(ctx.store.repository<number>(Sublevel.nonces))
  const revocations = new RevocationBook(ctx.store.repository<StoredRevocation>(Sublevel.revocations), Sublevel.revocations)
  const book = new DelegationBook(ctx.store.repository<StoredDelegation>(Sublevel.delegations))
  const checker = new ChainChecker({ principals, replay, revocations, ...(options.maxTtlSeconds != null ? { maxTtlSeconds: options.maxTtlSeconds } : {}) })
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
    await principals.add(agent.credential)
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
    roots: { agentCreated: issueRoot },
    revoke,
    submitRevocation,
    pruneRevocations,
    async start () {
      if (started) return
      started = true
      await Promise.all([principals.load(), replay.load(ctx.clock.now()), revocations.load(), book.load()])
      const rooted = new Set(book.list().filter(r => r.issuer === ctx.identity.orgDid).map(r => r.audience))
      for (const a of await ctx.agents.list()) {
        await principals.add(a.credential)
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
    },
    async stop () {
      started = false
      if (pruneTimer != null) clearInterval(pruneTimer)
      pruneTimer = undefined
      if (revocationTimer != null) clearInterval(revocationTimer)
      revocationTimer = undefined
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
