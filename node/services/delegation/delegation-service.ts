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
import { RevocationBook, type StoredRevocation } from './revocation-book.js'
import { ChainChecker } from './chain-checker.js'
import { DelegationExchange } from './delegation-exchange.js'
import { RecordTopics } from '../../gossip/index.js'

const REPLAY_PRUNE_INTERVAL_MS = 60_000

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
  /** Revokes a token this node may revoke for (an issuer in its chain held here, or the org). */
  revoke: (cid: string, reason?: string) => Promise<Result<{ cid: string, issuer: string }>>
}

export function createDelegationService (ctx: DelegationComponents, options: { retiredAt?: (did: string) => number | undefined } = {}): DelegationService {
  // an org's DIDs before a key rotation still vouch for what they issued before it
  const trustedOrgs = (): string[] => [ctx.identity.orgDid, ...(ctx.identity.previousOrgDids ?? []), ...ctx.enrolments.list().map(e => e.orgDid)]
  const principals = new PrincipalBook({ repo: ctx.store.repository<string>(Sublevel.credentials), clock: ctx.clock, trustedOrgs })
  const replay = new ReplayGuard(ctx.store.repository<number>(Sublevel.nonces))
  const revocations = new RevocationBook(ctx.store.repository<StoredRevocation>(Sublevel.revocations))
  const book = new DelegationBook(ctx.store.repository<StoredDelegation>(Sublevel.delegations))
  const checker = new ChainChecker({ principals, replay, revocations, ...(options.retiredAt != null ? { retiredAt: options.retiredAt } : {}) })
  const exchange = new DelegationExchange(ctx, book, principals)
  const parts: DelegationParts = { book, principals, replay, revocations, checker, exchange }

  /** Issuers allowed to revoke a token this node knows: itself, every issuer above it, its resource orgs. */
  const revokersOf = (cid: string): string[] | undefined => {
    if (book.get(cid) == null) return undefined
    return [...checker.revokersIn(cid, book.heldChainOf(cid).jwts)]
  }

  ctx.gossip.register<StoredRevocation>({
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
      return ok({ id: `${r.value.revoke}/${r.value.issuer}/${r.value.issuedAt}`, value: { cid: r.value.revoke, issuer: r.value.issuer, jwt: record, issuedAt: r.value.issuedAt } })
    },
    onAccept: async (value) => {
      if (await revocations.add(value)) ctx.logger.info('revocation accepted', { cid: value.cid, issuer: value.issuer })
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
    let signer = allowed.includes(ctx.orgSigner.did) ? ctx.orgSigner : undefined
    if (signer == null) {
      for (const a of await ctx.agents.list()) if (allowed.includes(a.did)) { signer = await ctx.agents.signer(a.name); break }
    }
    if (signer == null) return fail('REVOCATION_UNAUTHORISED', `no key on this node may revoke ${cid}: only an issuer in its chain can`)
    const jwt = await issueRevocation(signer, cid, ctx.clock, reason)
    const audited = await ctx.audit.record({ kind: 'revocation', subject: cid, details: { issuer: signer.did, reason } })
    if (!audited.ok) return audited
    const pub = await ctx.gossip.publish(RecordTopics.revocations, jwt)
    if (!pub.ok) return pub
    return ok({ cid, issuer: signer.did })
  }

  /** Seen nonces are kept until their invocation expires (plus grace), then dropped from memory and disk. */
  let pruneTimer: NodeJS.Timeout | undefined
  let started = false

  return {
    name: 'delegation',
    dependencies: DELEGATION_DEPENDENCIES,
    parts,
    roots: { agentCreated: issueRoot },
    revoke,
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
    },
    async stop () {
      started = false
      if (pruneTimer != null) clearInterval(pruneTimer)
      pruneTimer = undefined
    }
  }
}

/** The claimed issuer of a record, before its signature is checked (that is verifyRevocation's job). */
function issuerOf (jwt: string): string {
  const d = decodeJwt(jwt)
  return d.ok && typeof d.value.payload.iss === 'string' ? d.value.payload.iss : ''
}
