/**
 * The invoking end. The agent signs its own invocation (the node never holds its key): `plan` tells
 * it which delegation to invoke under and the time window that fits the chain; `send` takes the
 * invocation it signed, checks it is by that agent and within a delegation the agent holds, adds the
 * proofs and AgentCredentials, sends it to the node of the target agent's org and checks the receipt
 * it gets back. A timeout is reported as such.
 */
import { decodeDelegation, listCapabilities, capabilityWithin, type Capability, type Delegation } from '../../../identity/ucan/index.js'
import { verifyJwtSignature } from '../../../identity/jwt.js'
import { didKeyFromPublicKey } from '../../../identity/did-key.js'
import { publicKeyFromPeerIdString } from '../../../identity/peer-id.js'
import { ProtocolError } from '../../../protocols/codec.js'
import { TASK_TIMEOUT_MS, sendTaskRequest, type TaskReply, type TaskRequest } from '../../../protocols/task/index.js'
import type { Components } from '../../components.js'
import type { DelegationBook } from '../delegation/delegation-book.js'
import { acceptancesFor, type PrincipalBook } from '../delegation/principal-book.js'
import { cidOfJwt } from '../../../identity/ucan/cid.js'
import type { DelegationExchange } from '../delegation/delegation-exchange.js'
import type { TaskExecutor } from './task-executor.js'
import type { TaskLog } from './task-log.js'
import type { AgentRecord } from '../agents/agent-registry.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import { checkRemoteReply } from './reply-check.js'
import { decodeLink } from '../delegation/decoded-links.js'
import type { TaskPlan as WireTaskPlan } from '../../../protocols/control/task-plan.js'

export interface SendTaskInput {
  /** The local agent that signed the invocation (the authenticated caller of the agent API). */
  as: string
  /** The invocation JWT the agent signed (identity/ucan issueInvocation). */
  invocation: string
  args?: unknown
  timeoutMs?: number
}

export interface PlanTaskInput {
  /** Local agent name or DID that will invoke. */
  as: string
  /** Target agent DID. */
  to: string
  ability: string
  resource: string
  /** CID of the delegation to use; default: the newest one that grants it. */
  proof?: string
}

/** A signed invocation with everything the executing node needs, not yet delivered. */
export interface PreparedTask {
  /** The invocation CID: the task's id at both ends. */
  id: string
  targetOrg: string
  invoker: string
  to: string
  ability: string
  resource: string
  request: TaskRequest
  timeoutMs?: number
}

/** What the agent needs to sign its invocation (the agent API's wire shape); this node always gives the chain window. */
export type TaskPlan = WireTaskPlan & { chain: NonNullable<WireTaskPlan['chain']> }

/** Invocations live this long: long enough to cross the mesh, short enough to be useless later. */
export const INVOCATION_TTL_S = 60
/** Clock tolerance for an invocation's expiry. */
const SKEW_S = 60

export const SENDER_DEPENDENCIES = ['clock', 'logger', 'identity', 'agents', 'registry', 'mesh', 'trust'] as const

export interface SenderDeps {
  ctx: Pick<Components, typeof SENDER_DEPENDENCIES[number]>
  book: DelegationBook
  principals: PrincipalBook
  exchange: DelegationExchange
  executor: TaskExecutor
  tasks: TaskLog
}

/** A task ready to leave: the invocation and everything the executing node needs to check it. */
interface OutboundTask {
  readonly input: SendTaskInput
  readonly signal?: AbortSignal
  agent?: AgentRecord
  decoded?: Delegation
  to?: string
  ability?: string
  resource?: string
  proofCid?: string
  chain?: Record<string, string>
  credentials?: Record<string, string>
  acceptances?: Record<string, string>
  targetOrg?: string
}

type Step = (t: OutboundTask, d: SenderDeps) => Promise<Result<void>>
const next: Result<void> = ok(undefined)

/** 1. The invoking agent is one of this node's, with a credential valid now. */
const invoker: Step = async (t, d) => {
  t.agent = await d.ctx.agents.get(t.input.as)
  if (t.agent == null) return fail('UNKNOWN_AGENT', `no local agent ${t.input.as}`)
  if (t.agent.expiresAt <= d.ctx.clock.now()) return fail('CREDENTIAL_EXPIRED', `the AgentCredential of ${t.agent.name} expired at ${new Date(t.agent.expiresAt).toISOString()}`)
  return next
}

/** 2. The invocation: signed by that agent, one capability, a nonce, a short life that has not ended. */
const invocation: Step = async (t, d) => {
  const agent = t.agent as AgentRecord
  const inv = decodeDelegation(t.input.invocation)
  if (!inv.ok) return inv
  if (inv.value.issuer !== agent.did) return fail('NOT_INVOKER', `the invocation is issued by ${inv.value.issuer}, not by ${agent.did}: an agent sends only what it signed itself`)
  const sig = verifyJwtSignature(inv.value.decoded, agent.did)
  if (!sig.ok) return sig
  const caps = listCapabilities(inv.value.capabilities)
  if (caps.length !== 1) return fail('BAD_INVOCATION', `an invocation names exactly one capability, this one ${caps.length}`)
  if (inv.value.nonce == null) return fail('BAD_INVOCATION', 'an invocation needs a nonce (nnc)')
  if (inv.value.proofs.length !== 1) return fail('BAD_INVOCATION', 'an invocation names exactly one proof')
  const nowS = Math.floor(d.ctx.clock.now() / 1000)
  const exp = inv.value.expiration
  if (exp == null || exp <= nowS - SKEW_S) return fail('EXPIRED', 'the invocation has expired')
  if (exp > nowS + INVOCATION_TTL_S + SKEW_S) return fail('BAD_INVOCATION', `an invocation lives at most ${INVOCATION_TTL_S} s`)
  t.decoded = inv.value
  t.to = inv.value.audience
  t.ability = caps[0].ability
  t.resource = caps[0].resource
  t.proofCid = inv.value.proofs[0]
  return next
}

/** 3. The delegation it names: held here, addressed to the agent, and granting what is invoked. */
const proof: Step = async (t, d) => {
  const agent = t.agent as AgentRecord
  const cid = t.proofCid as string
  const chain = d.book.chainOf(cid)
  if (!chain.ok) return fail(chain.error.code === 'MISSING_PROOF' || d.book.get(cid) == null ? 'NO_DELEGATION' : chain.error.code, `${agent.name} holds no delegation ${cid} here: ${chain.error.message}`)
  const top = decodeLink(chain.value[cid])
  if (!top.ok) return top
  if (top.value.audience !== agent.did) return fail('NOT_HOLDER', `delegation ${cid} is addressed to ${top.value.audience}, not ${agent.did}`)
  const invoked = listCapabilities((t.decoded as Delegation).capabilities)[0]
  if (!listCapabilities(top.value.capabilities).some(c => capabilityWithin(invoked, c))) return fail('ESCALATION', `delegation ${cid} does not grant ${invoked.ability} on ${invoked.resource} with those caveats`)
  t.chain = chain.value
  return next
}

/** 4. The AgentCredentials of every principal on the chain, so the executing node can check each one. */
const credentials: Step = async (t, d) => {
  const agent = t.agent as AgentRecord
  const creds: Record<string, string> = { [agent.did]: agent.credential }
  for (const jwt of Object.values(t.chain ?? {})) {
    const l = decodeLink(jwt)
    if (!l.ok) continue
    for (const did of [l.value.issuer, l.value.audience]) {
      const c = d.principals.credentialOf(did)
      if (c != null) creds[did] = c
    }
  }
  t.credentials = creds
  // the agents' acceptances beside their credentials: a node binds an agent to its org only with both
  const acceptances = acceptancesFor(d.principals, Object.keys(creds))
  if (agent.acceptance != null) acceptances[cidOfJwt(agent.credential)] = agent.acceptance
  t.acceptances = acceptances
  return next
}

/** 5. The org whose node hosts the target agent. */
const route: Step = async (t, d) => {
  const org = await orgOfAgent(d, t.to as string, t.signal)
  if (!org.ok) return org
  t.targetOrg = org.value
  return next
}

/** The steps before delivery, in order. */
export const OUTBOUND_STEPS: ReadonlyArray<readonly [string, Step]> = [
  ['invoker', invoker],
  ['invocation', invocation],
  ['proof', proof],
  ['credentials', credentials],
  ['route', route]
]

/** What the agent signs: the delegation to invoke under, its caveats, and a window inside every link's. */
async function plan (d: SenderDeps, input: PlanTaskInput): Promise<Result<TaskPlan>> {
  const agent = await d.ctx.agents.get(input.as)
  if (agent == null) return fail('UNKNOWN_AGENT', `no local agent ${input.as}`)
  const nowS = Math.floor(d.ctx.clock.now() / 1000)
  let proofCid = input.proof
  let granted: Capability | undefined
  if (proofCid == null) {
    const found = d.book.grantsFor(agent.did, input.resource, input.ability, nowS)[0]
    if (found == null) return fail('NO_DELEGATION', `${agent.name} holds no delegation for ${input.ability} on ${input.resource} (trustmesh delegation list)`)
    proofCid = found.rec.cid
    granted = found.capability
  }
  const chain = d.book.chainOf(proofCid)
  if (!chain.ok) return chain
  const top = decodeLink(chain.value[proofCid])
  if (!top.ok) return top
  if (top.value.audience !== agent.did) return fail('NOT_HOLDER', `delegation ${proofCid} is addressed to ${top.value.audience}, not ${agent.did}`)
  granted ??= listCapabilities(top.value.capabilities).find(c => capabilityWithin({ resource: input.resource, ability: input.ability, caveats: c.caveats }, c))
  if (granted == null) return fail('ESCALATION', `delegation ${proofCid} does not grant ${input.ability} on ${input.resource}`)
  let chainNbf: number | undefined
  let chainExp: number | undefined
  for (const jwt of Object.values(chain.value)) {
    const l = decodeLink(jwt)
    if (!l.ok) continue
    if (l.value.notBefore != null) chainNbf = Math.max(chainNbf ?? l.value.notBefore, l.value.notBefore)
    if (l.value.expiration != null) chainExp = Math.min(chainExp ?? l.value.expiration, l.value.expiration)
  }
  const nbf = Math.max(nowS - 1, chainNbf ?? nowS - 1)
  const exp = Math.min(nowS + INVOCATION_TTL_S, chainExp ?? nowS + INVOCATION_TTL_S)
  return ok({
    audience: input.to, resource: input.resource, ability: input.ability, caveats: granted.caveats, proof: { cid: proofCid, jwt: chain.value[proofCid] }, notBefore: nbf, expiration: exp,
    chain: { ...(chainNbf != null ? { notBefore: chainNbf } : {}), ...(chainExp != null ? { expiration: chainExp } : {}), invocationTtlSeconds: INVOCATION_TTL_S }
  })
}

/** The org hosting `agentDid`, asking connected partners' agent directories when it is not known yet. */
async function orgOfAgent (d: SenderDeps, agentDid: string, signal?: AbortSignal): Promise<Result<string>> {
  const { ctx, principals, exchange } = d
  if (await ctx.agents.get(agentDid) != null) return ok(ctx.identity.orgDid)
  let p = principals.check(agentDid)
  if (!p.ok) {
    await Promise.allSettled(ctx.registry.peers().map(async peer => await exchange.fetchAgents(peer.orgDid, { ...(signal != null ? { signal } : {}) })))
    p = principals.check(agentDid)
  }
  if (!p.ok) return fail('UNKNOWN_AGENT', `cannot route to ${agentDid}: ${p.error.message} (is its org enrolled and connected?)`)
  return ok(p.value.org)
}

/**
 * The invoking end, as named steps (OUTBOUND_STEPS), then delivery (to this node's own pipeline or to
 * the target org's node), the receipt check, and the task log. A refusal before delivery is a Result
 * with its reason code; an answer (ok, denied, error, pending) is the reply, with its checked receipt.
 */
export class TaskSender {
  readonly #d: SenderDeps
  constructor (deps: SenderDeps) {
    this.#d = deps
  }

  async orgOfAgent (agentDid: string, options: { signal?: AbortSignal } = {}): Promise<Result<string>> {
    return await orgOfAgent(this.#d, agentDid, options.signal)
  }

  async plan (input: PlanTaskInput): Promise<Result<TaskPlan>> {
    return await plan(this.#d, input)
  }

  /** The outbound steps, then delivery: `prepare` + `deliver`. */
  async send (input: SendTaskInput, options: { signal?: AbortSignal } = {}): Promise<Result<TaskReply & { id: string, targetOrg: string }>> {
    const prepared = await this.prepare(input, options)
    if (!prepared.ok) return prepared
    return ok(await this.deliver(prepared.value, options))
  }

  /**
   * The outbound steps only: the signed invocation with its proofs and credentials, ready to deliver.
   * A caller that must never run a task twice (the saga coordinator) persists it before delivering,
   * and after a crash delivers the same request again (the executing node's replay guard refuses a
   * second run) or asks for its outcome.
   */
  async prepare (input: SendTaskInput, options: { signal?: AbortSignal } = {}): Promise<Result<PreparedTask>> {
    const t: OutboundTask = { input, ...(options.signal != null ? { signal: options.signal } : {}) }
    for (const [, step] of OUTBOUND_STEPS) {
      const r = await step(t, this.#d)
      if (!r.ok) return r
    }
    const req: TaskRequest = { v: 1, invocation: input.invocation, proofs: t.chain as Record<string, string>, credentials: t.credentials as Record<string, string>, ...(t.acceptances != null && Object.keys(t.acceptances).length > 0 ? { acceptances: t.acceptances } : {}), ...(input.args !== undefined ? { args: input.args } : {}) }
    return ok({
      id: (t.decoded as Delegation).cid, targetOrg: t.targetOrg as string, invoker: (t.agent as AgentRecord).did, to: t.to as string,
      ability: t.ability as string, resource: t.resource as string, request: req, ...(input.timeoutMs != null ? { timeoutMs: input.timeoutMs } : {})
    })
  }

  /** Delivers a prepared task (to this node's own pipeline or the target org's node), checks the receipt, logs it. */
  async deliver (p: PreparedTask, options: { signal?: AbortSignal } = {}): Promise<TaskReply & { id: string, targetOrg: string }> {
    const { ctx } = this.#d
    const t0 = ctx.clock.now()
    // 7. delivery: this node's own inbound pipeline, or the target org's node over the task protocol
    const reply = p.targetOrg === ctx.identity.orgDid
      ? await this.#d.executor.execute(p.request, { orgDid: p.targetOrg }, { ...(options.signal != null ? { signal: options.signal } : {}) })
      : await this.#remote(p.targetOrg, p.request, p.timeoutMs ?? TASK_TIMEOUT_MS, options.signal)
    // 8. the task log
    await this.#d.tasks.put({
      id: p.id, direction: 'sent', ability: p.ability, resource: p.resource, invoker: p.invoker, executor: p.to, peerOrg: p.targetOrg,
      outcome: reply.outcome, code: reply.code, ...(reply.reason != null ? { reason: reply.reason } : {}), at: t0, durationMs: ctx.clock.now() - t0,
      ...(reply.receipt != null ? { receipt: reply.receipt } : {}), ...(reply.approvalId != null ? { approvalId: reply.approvalId } : {}), ...(reply.link != null ? { link: reply.link } : {})
    })
    return { ...reply, id: p.id, targetOrg: p.targetOrg }
  }

  /** Sends to the target org's node; the receipt must be signed by the node that answered and match the reply. */
  async #remote (targetOrg: string, req: TaskRequest, timeoutMs: number, outer?: AbortSignal): Promise<TaskReply> {
    const { ctx } = this.#d
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = outer != null ? AbortSignal.any([timeout, outer]) : timeout
    let reply: TaskReply
    let peerId: string
    // the org hello bound to the connection: targetOrg, or its successor after an org key rotation
    let answeringOrg = targetOrg
    try {
      const conn = await ctx.mesh.connectionToOrg(targetOrg, { signal: AbortSignal.timeout(Math.min(timeoutMs, 10_000)) })
      peerId = conn.remotePeer.toString()
      answeringOrg = ctx.mesh.verifiedPeer(conn.id)?.orgDid ?? targetOrg
      reply = await sendTaskRequest(conn, req, { signal })
    } catch (err) {
      const message = (err as Error).message
      const timedOut = (err instanceof ProtocolError && err.code === 'TIMEOUT') || timeout.aborted
      // the stream ended or broke before an answer: the partner went away mid-task (killed, connection lost)
      const lost = err instanceof ProtocolError && (err.code === 'UNEXPECTED_EOF' || err.code === 'STREAM_ERROR')
      const code = timedOut ? 'TASK_TIMEOUT' : (err as { code?: string }).code === 'PEER_UNREACHABLE' || lost ? 'PEER_UNREACHABLE' : 'TASK_FAILED'
      const reason = timedOut
        ? `no answer from ${targetOrg} within ${timeoutMs} ms`
        : lost ? `lost ${targetOrg} before it answered: ${message}` : message.includes(targetOrg) ? message : `${targetOrg}: ${message}`
      return { outcome: 'error', code, reason }
    }
    const pub = publicKeyFromPeerIdString(peerId)
    const expectedNode = pub.ok ? didKeyFromPublicKey(pub.value) : undefined
    // a task in flight across the target's org key rotation is answered under its new DID
    const checked = checkRemoteReply(reply, { targetOrg, answeringOrg, invocation: req.invocation, sameOrg: (a, b) => this.#d.principals.sameOrg(a, b), ...(expectedNode != null ? { node: expectedNode } : {}) })
    if (!checked.ok) return checked.error.code === 'NO_RECEIPT' ? { ...reply, outcome: 'error', code: 'NO_RECEIPT', reason: checked.error.message } : { outcome: 'error', code: checked.error.code, reason: checked.error.message }
    await ctx.trust.onReceipt(reply.receipt as string, 'received').catch(err => { ctx.logger.warn('receipt not counted as evidence', { error: (err as Error).message }) })
    return reply
  }
}
