/**
 * The inbound task, where every rule is checked again (DESIGN.md section 4), as named steps read top
 * to bottom. Each step takes the task as checked so far and returns a Result: `ok` to go on, or a stop
 * (a refusal with its reason code, or the parked `pending`). Every stop and the final outcome end in
 * one place, `finish`, which signs the receipt, logs the task and hands the receipt to trust.
 *
 *   decode -> executor -> credentials -> chain -> principals -> carried policies -> authorise
 *   -> park for approval -> replay guard -> audit -> revocation again -> dispatch -> receipt
 */
import { decodeDelegation, type ValidatedChain } from '../../../identity/ucan/index.js'
import type { Delegation } from '../../../identity/ucan/index.js'
import type { TaskRequest, TaskReply } from '../../../protocols/task/messages.js'
import { authorizeTask, type AuthzDecision } from '../../../authz/authorize-task.js'
import { acceptanceOfCredential, type PrincipalInfo } from '../delegation/principal-book.js'
import { issueReceipt, type TaskOutcome } from './receipt.js'
import type { InboundComponents, InboundParts } from './inbound-components.js'
import { MAX_LOGGED_OUTPUT_BYTES } from './task-log.js'
import { decodeLink } from '../delegation/decoded-links.js'

/** How long to wait for carried policies to be fetched before deciding without them (a DENY). */
const CARRIED_POLICY_WAIT_MS = 5_000
const DEFAULT_TASK_TIMEOUT_MS = 25_000

export interface Sender { orgDid: string }

export interface ExecuteOptions {
  /** Run a parked task that was approved: no second parking. */
  skipApproval?: boolean
  approvalId?: string
  /** Time (ms) at which to check the chain, for a parked task run after its approval. */
  checkAt?: number
  signal?: AbortSignal
}

/** Where a task stops before it runs: refused (`denied`), or parked (`pending`). */
interface Stop {
  outcome: 'denied' | 'pending'
  code: string
  reason: string
  link?: number
  approvalId?: string
  /** A stop that already has its audit entry (pending) is not audited again. */
  audited?: boolean
}

/** A step's answer: go on, or stop here. */
type StepResult = { ok: true } | { ok: false, error: Stop }
const next: StepResult = { ok: true }

type Step = (t: InboundTask, c: InboundComponents, p: InboundParts) => Promise<StepResult>

/** The task as it is checked, filled in by the steps. */
interface InboundTask {
  readonly req: TaskRequest
  readonly from: Sender
  readonly opts: ExecuteOptions
  readonly arrivedAt: number
  inv?: Delegation
  chain?: ValidatedChain
  invoker?: PrincipalInfo
  chainAgents: PrincipalInfo[]
  decision?: AuthzDecision
  /** When the authorisation decision was made (ms), for the decision-latency metric. */
  decidedAt?: number
  elevationsUsed: Array<{ agent: string, ring: number, jti: string }>
}

const deny = (code: string, reason: string, link?: number): StepResult =>
  ({ ok: false, error: { outcome: 'denied', code, reason, ...(link != null ? { link } : {}) } })

/** 1. The invocation decodes. */
const decode: Step = async (t) => {
  const inv = decodeDelegation(t.req.invocation)
  if (!inv.ok) return deny(inv.error.code, `invocation: ${inv.error.message}`)
  t.inv = inv.value
  return next
}

/** 2. It is addressed to an agent of this node. */
const executorHere: Step = async (t, c) => {
  if (!await c.agents.hosts(executorOf(t))) return deny('UNKNOWN_EXECUTOR', `no agent ${executorOf(t)} on this node`)
  return next
}

/**
 * 3. The AgentCredentials shipped with it are learned: each verified, and an agent not bound yet is
 * bound to its org only with its acceptance shipped beside it. A claim on an agent bound to another
 * org is refused (logged and audited by the book) and plays no part: the chain is judged on the
 * bindings this node holds.
 */
const credentials: Step = async (t, _c, p) => {
  for (const jwt of Object.values(t.req.credentials ?? {})) {
    const acceptance = acceptanceOfCredential(t.req.acceptances, jwt)
    await p.principals.add(jwt, { from: t.from.orgDid, ...(acceptance != null ? { acceptance } : {}) })
  }
  // an agent on the chain whose credential its org revoked (`agent remove`) or that expired is named
  // as such, before the chain's own time checks (its root ends with the credential) say less
  const inv = t.inv as Delegation
  const agents = new Set([inv.issuer])
  for (const jwt of Object.values(t.req.proofs ?? {})) {
    const l = decodeLink(jwt)
    if (l.ok) { agents.add(l.value.issuer); agents.add(l.value.audience) }
  }
  for (const did of agents) {
    const c = p.principals.check(did)
    if (!c.ok && (c.error.code === 'CREDENTIAL_REVOKED' || c.error.code === 'CREDENTIAL_EXPIRED')) return deny(c.error.code, c.error.message)
  }
  return next
}

/** 4. The chain: signatures, alignment, attenuation, time, depth, revocation, freshness (rules 1-7). */
const chain: Step = async (t, c, p) => {
  const checked = p.checker.check({ invocation: t.req.invocation, proofs: t.req.proofs }, { now: t.opts.checkAt ?? c.clock.now(), audience: executorOf(t) })
  if (!checked.ok) return deny(checked.error.code, checked.error.message, checked.error.link)
  t.chain = checked.value
  return next
}

/** 5. Principals: the invoker's org sent it (no bearer tokens), every agent on the chain holds a credential, the root is the resource org's grant to its own agent. */
const principals: Step = async (t, c, p) => {
  const ch = t.chain as ValidatedChain
  const invoker = p.principals.check(ch.invoker)
  if (!invoker.ok) return deny(invoker.error.code, invoker.error.message)
  t.invoker = await elevated(invoker.value, t, c, p)
  if (t.invoker.org !== t.from.orgDid) {
    return deny('INVOKER_NOT_FROM_PEER', `the invoker belongs to ${t.invoker.org} but the task came from ${t.from.orgDid}: tasks are never relayed as bearer tokens`)
  }
  for (const l of ch.links) {
    if (l.index === 0) continue // the root is issued by the org itself
    const a = p.principals.check(l.issuer)
    if (!a.ok) return deny(a.error.code, `link ${l.index}: ${a.error.message}`, l.index)
    t.chainAgents.push(await elevated(a.value, t, c, p))
  }
  const rootAgent = ch.links.length > 1 ? t.chainAgents[0] : t.invoker
  // across our own org key rotation, our old and new DIDs are one org (roots and credentials of either)
  const ours = [c.identity.orgDid, ...(c.identity.previousOrgDids ?? [])]
  const ourRotatedRoot = ours.includes(rootAgent.org) && ours.includes(ch.links[0]?.issuer)
  // likewise for a partner's rotation: a root by its old key to an agent now reported under its new DID
  if (ch.links.length > 0 && !p.principals.sameOrg(rootAgent.org, ch.links[0].issuer) && !ourRotatedRoot) {
    return deny('ROOT_AUDIENCE_NOT_MEMBER', `link 0: the root by ${ch.links[0].issuer} is delegated to ${rootAgent.did} of ${rootAgent.org}, not to one of its own agents`, 0)
  }
  return next
}

/** 6. Policies carried in the chain are fetched (by digest) before deciding; one still missing is a DENY in `authorise`. */
const carriedPolicies: Step = async (t, c) => {
  const ch = t.chain as ValidatedChain
  const digests = new Set<string>()
  for (const l of ch.links) for (const cv of l.capability.caveats) if (typeof cv.policy === 'string') digests.add(cv.policy)
  for (const cv of ch.capability.caveats) if (typeof cv.policy === 'string') digests.add(cv.policy)
  if (digests.size === 0) return next
  const signal = anySignal(AbortSignal.timeout(CARRIED_POLICY_WAIT_MS), t.opts.signal)
  await c.carriedPolicies.resolve([...digests], { signal })
    .catch(err => { c.logger.warn('carried policies unavailable', { error: (err as Error).message }) })
  return next
}

/** 7. Rings, caveats, this node's policy and every carried policy (rule 8). */
const authorise: Step = async (t, c) => {
  const ch = t.chain as ValidatedChain
  const invoker = t.invoker as PrincipalInfo
  const selfOrg = c.identity.orgDid
  const orgMaxRing = invoker.org === selfOrg ? 1 : c.enrolments.get(invoker.org)?.maxRing ?? 3
  const trust = c.trust.trustOf(invoker.org)
  const decision = authorizeTask({
    chain: ch,
    principals: t.chainAgents,
    invoker,
    selfOrg,
    orgMaxRing,
    policy: c.policy.get().policy,
    args: t.req.args,
    ...(trust != null ? { trust } : {}),
    carried: (digest, at) => c.carriedPolicies.decide(digest, {
      ability: ch.capability.ability, resource: ch.capability.resource, callerOrg: invoker.org, callerAgent: invoker.did, selfOrg: at.owner, ring: at.ring, ringCappedBy: at.cappedBy, args: t.req.args, ...(trust != null ? { trust } : {})
    })
  })
  t.decision = decision
  t.decidedAt = c.clock.now()
  if (decision.effect === 'deny') return deny(decision.code, decision.reason)
  return next
}

/** 8. What policy holds back is parked (audited first) and answered `pending`. */
const parkForApproval: Step = async (t, c) => {
  const d = t.decision as AuthzDecision
  if (d.effect !== 'require_approval' || t.opts.skipApproval === true) return next
  const audited = await audit(t, c, 'task.pending', d.code, d.reason)
  if (!audited.ok) return { ok: false, error: audited.error }
  const invoker = t.invoker as PrincipalInfo
  const ch = t.chain as ValidatedChain
  const approvalId = await c.approvals.park({
    taskId: ch.invocationCid, invoker: invoker.did, invokerOrg: invoker.org, executor: executorOf(t),
    ability: abilityOf(t), resource: resourceOf(t), args: t.req.args, request: { req: t.req, from: t.from }, reason: d.reason,
    approvals: approvalsRequired(d), ring: d.ring,
    chain: ch.links.map(l => ({ cid: l.cid, issuer: l.issuer, audience: l.audience, ability: l.capability.ability, resource: l.capability.resource, caveats: l.capability.caveats, expiresAt: l.expiration }))
  })
  return { ok: false, error: { outcome: 'pending', code: 'APPROVAL_REQUIRED', reason: d.reason, approvalId, audited: true } }
}

/** The most any `require_approval` level asks for (levels are a conjunction: none can lower it). */
function approvalsRequired (d: AuthzDecision): { count: number, role?: string, rule?: string } {
  let best: { count: number, role?: string, rule?: string } = { count: 1 }
  for (const e of d.trace) {
    if (e.effect !== 'require_approval') continue
    const count = e.approvals?.count ?? 1
    if (count > best.count || (best.rule == null && count === best.count)) {
      best = { count, ...(e.approvals?.role != null ? { role: e.approvals.role } : {}), ...(e.rule != null ? { rule: e.rule } : {}) }
    }
  }
  return best
}

/** 9. Freshness is recorded before the task runs, so a replay racing this one is refused. */
const replayGuard: Step = async (t, c, p) => {
  const ch = t.chain as ValidatedChain
  const expiresAt = Math.max((ch.expiresAt ?? Math.floor(c.clock.now() / 1000) + 300) * 1000, c.clock.now())
  if (!await p.replay.record(ch.replayKeys, expiresAt)) return deny('REPLAYED', 'invocation nonce or CID was used before')
  return next
}

/** 10. The allow is in the audit log before it takes effect. */
const auditAllow: Step = async (t, c) => {
  const d = t.decision as AuthzDecision
  const r = await audit(t, c, 'task.allow', d.code, d.reason)
  return r.ok ? next : { ok: false, error: r.error }
}

/** 11. Revocation once more, just before the agent runs it. */
const revocationAgain: Step = async (t, _c, p) => {
  const ch = t.chain as ValidatedChain
  const revoked = p.checker.revokedLink(ch, { invocation: t.req.invocation, proofs: t.req.proofs })
  if (revoked == null) return next
  const at = ch.links.find(l => l.cid === revoked)?.index
  return deny('REVOKED', `link ${at ?? '?'} (${revoked}) was revoked just before execution`, at)
}

/** The steps before dispatch, in order. */
export const INBOUND_STEPS: ReadonlyArray<readonly [string, Step]> = [
  ['decode', decode],
  ['executor', executorHere],
  ['credentials', credentials],
  ['chain', chain],
  ['principals', principals],
  ['carried-policies', carriedPolicies],
  ['authorise', authorise],
  ['park-for-approval', parkForApproval],
  ['replay-guard', replayGuard],
  ['audit', auditAllow],
  ['revocation', revocationAgain]
]

/** Runs the steps, then dispatches to the local agent; every path ends in `finish` with a signed receipt. */
export async function runInboundTask (req: TaskRequest, from: Sender, opts: ExecuteOptions, c: InboundComponents, p: InboundParts): Promise<TaskReply> {
  const t: InboundTask = { req, from, opts, arrivedAt: c.clock.now(), chainAgents: [], elevationsUsed: [] }
  for (const [, step] of INBOUND_STEPS) {
    const r = await step(t, c, p)
    if (r.ok) continue
    const stop = r.error
    if (stop.outcome === 'pending') return await finish(t, c, p, 'pending', stop.code, stop.reason, { approvalId: stop.approvalId })
    return await refuse(t, c, p, stop)
  }
  // 12. dispatch to the local agent, then the receipt
  const ch = t.chain as ValidatedChain
  const out = await c.dispatcher.dispatch(executorOf(t), ch.capability.ability, {
    id: ch.invocationCid, ability: ch.capability.ability, resource: ch.capability.resource, args: req.args, invoker: (t.invoker as PrincipalInfo).did,
    // the checked invocation and its delegation chain travel with the task (edges pass them on unchanged)
    invocation: req.invocation, proofs: req.proofs
  }, { timeoutMs: p.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS, ...(opts.signal != null ? { signal: opts.signal } : {}) })
  if (out.ok) return await finish(t, c, p, 'ok', 'OK', 'done', { output: out.output, approvalId: opts.approvalId })
  return await finish(t, c, p, 'error', out.code, out.message, { approvalId: opts.approvalId })
}

/** A refusal: audited (else AUDIT_UNAVAILABLE), then signed like any other outcome. */
async function refuse (t: InboundTask, c: InboundComponents, p: InboundParts, stop: Stop): Promise<TaskReply> {
  if (stop.audited !== true) {
    const a = await audit(t, c, 'task.deny', stop.code, stop.reason)
    if (!a.ok) return await finish(t, c, p, 'denied', a.error.code, a.error.reason)
  }
  return await finish(t, c, p, 'denied', stop.code, stop.reason, { link: stop.link, approvalId: t.opts.approvalId })
}

async function audit (t: InboundTask, c: InboundComponents, kind: 'task.allow' | 'task.deny' | 'task.pending', code: string, reason: string): Promise<StepResult> {
  const r = await c.audit.record({
    kind,
    subject: invocationCidOf(t),
    reason: code,
    details: {
      ability: abilityOf(t), resource: resourceOf(t), invoker: invokerDidOf(t), executor: executorOf(t), from: t.from.orgDid, reason,
      ...(t.elevationsUsed.length > 0 ? { elevations: t.elevationsUsed } : {}),
      ...(t.opts.approvalId != null ? { approvalId: t.opts.approvalId } : {})
    }
  })
  if (r.ok) return next
  c.logger.error('audit log unwritable: task denied', { error: r.error.message })
  return { ok: false, error: { outcome: 'denied', code: 'AUDIT_UNAVAILABLE', reason: 'the audit log cannot be written; nothing is decided without it', audited: true } }
}

/** Signs the receipt, logs the task, hands the receipt to trust, and builds the reply. */
async function finish (t: InboundTask, c: InboundComponents, p: InboundParts, outcome: TaskOutcome, code: string, reason: string, extra: { output?: unknown, link?: number, approvalId?: string } = {}): Promise<TaskReply> {
  const now = c.clock.now()
  const durationMs = now - t.arrivedAt
  const approvalId = extra.approvalId
  const receipt = await issueReceipt(c.nodeSigner, {
    org: c.identity.orgDid, inv: invocationCidOf(t), executor: executorOf(t), invoker: invokerDidOf(t), outcome, code, durationMs, iat: Math.floor(now / 1000),
    ...(approvalId != null ? { approval: approvalId } : {})
  })
  await p.tasks.put({
    id: invocationCidOf(t), direction: 'received', ability: abilityOf(t), resource: resourceOf(t), invoker: invokerDidOf(t), executor: executorOf(t), peerOrg: t.from.orgDid,
    outcome, code, reason, at: t.arrivedAt, durationMs, receipt, ...(extra.link != null ? { link: extra.link } : {}), ...(approvalId != null ? { approvalId } : {}),
    ...(keepOutput(extra.output) ? { output: extra.output } : {})
  })
  await c.trust.onReceipt(receipt, 'issued').catch(err => { c.logger.warn('receipt not counted as evidence', { error: (err as Error).message }) })
  c.metrics.taskDecided(outcome, code, (t.decidedAt ?? now) - t.arrivedAt)
  c.logger.info('task decided', { id: invocationCidOf(t), outcome, code, ability: abilityOf(t), resource: resourceOf(t), invoker: invokerDidOf(t), from: t.from.orgDid })
  return { outcome, code, reason, receipt, ...(extra.output !== undefined ? { output: extra.output } : {}), ...(extra.link != null ? { link: extra.link } : {}), ...(approvalId != null ? { approvalId } : {}) }
}

/** A local agent's ring with its valid elevations applied; elevations used are audited with the decision. */
async function elevated (pr: PrincipalInfo, t: InboundTask, c: InboundComponents, p: InboundParts): Promise<PrincipalInfo> {
  if (pr.org !== c.identity.orgDid) return pr
  const e = await p.elevations.ringOf(pr.did, pr.ring)
  if (e.ring === pr.ring) return pr
  for (const a of e.applied) t.elevationsUsed.push({ agent: pr.did, ring: a.ring, jti: a.jti })
  return { ...pr, ring: e.ring }
}

function executorOf (t: InboundTask): string { return t.inv?.audience ?? 'unknown' }
function invokerDidOf (t: InboundTask): string { return t.inv?.issuer ?? 'unknown' }
function invocationCidOf (t: InboundTask): string { return t.inv?.cid ?? 'unknown' }
function firstCapability (t: InboundTask): [string, string] {
  const cap = t.inv != null ? Object.entries(t.inv.capabilities)[0] : undefined
  return [cap?.[0] ?? '', cap != null ? Object.keys(cap[1])[0] ?? '' : '']
}
function resourceOf (t: InboundTask): string { return firstCapability(t)[0] }
function abilityOf (t: InboundTask): string { return firstCapability(t)[1] }

/** Small outputs are logged so a requester that lost the reply can still learn it (task status). */
function keepOutput (output: unknown): boolean {
  if (output === undefined) return false
  try { return Buffer.byteLength(JSON.stringify(output)) <= MAX_LOGGED_OUTPUT_BYTES } catch { return false }
}

function anySignal (a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  return b == null ? a : AbortSignal.any([a, b])
}
