/**
 * The invoking end: builds a fresh invocation (nonce, short expiry) by the local agent under the
 * delegation that grants it, ships the proofs and AgentCredentials, sends it to the node of the
 * target agent's org and checks the receipt it gets back. A timeout is reported as such.
 */
import { randomBytes } from 'node:crypto'
import { decodeDelegation, issueInvocation, listCapabilities, capabilityWithin, type Capability } from '../../../identity/ucan/index.js'
import { didKeyFromPublicKey } from '../../../identity/did-key.js'
import { publicKeyFromPeerIdString } from '../../../identity/peer-id.js'
import { ProtocolError } from '../../../protocols/codec.js'
import { TASK_TIMEOUT_MS, sendTaskRequest, type TaskReply, type TaskRequest } from '../../../protocols/task/index.js'
import type { Components } from '../../components.js'
import type { DelegationBook } from '../delegation/delegation-book.js'
import type { PrincipalBook } from '../delegation/principal-book.js'
import type { DelegationExchange } from '../delegation/delegation-exchange.js'
import type { TaskExecutor } from './task-executor.js'
import type { TaskLog } from './task-log.js'
import type { AgentRecord } from '../agents/agent-registry.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import { verifyReceipt } from './receipt.js'

export interface SendTaskInput {
  /** Local agent name or DID that invokes. */
  as: string
  /** Target agent DID. */
  to: string
  ability: string
  resource: string
  args?: unknown
  /** CID of the delegation to use; default: the newest one that grants it. */
  proof?: string
  timeoutMs?: number
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

/** Invocations live this long: long enough to cross the mesh, short enough to be useless later. */
const INVOCATION_TTL_S = 60

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
  proofCid?: string
  granted?: Capability
  chain?: Record<string, string>
  window?: { nbf: number, exp: number }
  invocation?: { jwt: string, cid: string }
  credentials?: Record<string, string>
  targetOrg?: string
}

type Step = (t: OutboundTask, d: SenderDeps) => Promise<Result<void>>
const next: Result<void> = ok(undefined)

/** 1. The invoking agent is one of this node's. */
const invoker: Step = async (t, d) => {
  t.agent = await d.ctx.agents.get(t.input.as)
  return t.agent == null ? fail('UNKNOWN_AGENT', `no local agent ${t.input.as}`) : next
}

/** 2. The delegation it invokes under: the one named, or the newest that grants the ability on the resource. */
const proof: Step = async (t, d) => {
  const agent = t.agent as AgentRecord
  const nowS = Math.floor(d.ctx.clock.now() / 1000)
  let proofCid = t.input.proof
  if (proofCid == null) {
    const found = d.book.grantsFor(agent.did, t.input.resource, t.input.ability, nowS)[0]
    if (found == null) return fail('NO_DELEGATION', `${agent.name} holds no delegation for ${t.input.ability} on ${t.input.resource} (trustmesh delegation list)`)
    proofCid = found.rec.cid
    t.granted = found.capability
  }
  const chain = d.book.chainOf(proofCid)
  if (!chain.ok) return chain
  const top = decodeDelegation(chain.value[proofCid])
  if (!top.ok) return top
  if (top.value.audience !== agent.did) return fail('NOT_HOLDER', `delegation ${proofCid} is addressed to ${top.value.audience}, not ${agent.did}`)
  t.granted ??= listCapabilities(top.value.capabilities).find(c => capabilityWithin({ resource: t.input.resource, ability: t.input.ability, caveats: c.caveats }, c))
  if (t.granted == null) return fail('ESCALATION', `delegation ${proofCid} does not grant ${t.input.ability} on ${t.input.resource}`)
  t.proofCid = proofCid
  t.chain = chain.value
  return next
}

/** 3. The invocation's time window sits inside every link's, and lives only long enough to cross the mesh. */
const timeWindow: Step = async (t, d) => {
  const nowS = Math.floor(d.ctx.clock.now() / 1000)
  let nbf = nowS - 1
  let exp = nowS + INVOCATION_TTL_S
  for (const jwt of Object.values(t.chain ?? {})) {
    const l = decodeDelegation(jwt)
    if (!l.ok) continue
    if (l.value.notBefore != null) nbf = Math.max(nbf, l.value.notBefore)
    if (l.value.expiration != null) exp = Math.min(exp, l.value.expiration)
  }
  t.window = { nbf, exp }
  return next
}

/** 4. The invocation, fresh (a random nonce), signed by the invoking agent's key. */
const invocation: Step = async (t, d) => {
  const agent = t.agent as AgentRecord
  const signer = await d.ctx.agents.signer(agent.name)
  const w = t.window as { nbf: number, exp: number }
  const chain = t.chain as Record<string, string>
  t.invocation = await issueInvocation(signer, {
    audience: t.input.to, resource: t.input.resource, ability: t.input.ability, caveats: (t.granted as Capability).caveats,
    proof: chain[t.proofCid as string], nonce: randomBytes(16).toString('base64url'), notBefore: w.nbf, expiration: w.exp
  })
  return next
}

/** 5. The AgentCredentials of every principal on the chain, so the executing node can check each one. */
const credentials: Step = async (t, d) => {
  const agent = t.agent as AgentRecord
  const creds: Record<string, string> = { [agent.did]: agent.credential }
  for (const jwt of Object.values(t.chain ?? {})) {
    const l = decodeDelegation(jwt)
    if (!l.ok) continue
    for (const did of [l.value.issuer, l.value.audience]) {
      const c = d.principals.credentialOf(did)
      if (c != null) creds[did] = c
    }
  }
  t.credentials = creds
  return next
}

/** 6. The org whose node hosts the target agent. */
const route: Step = async (t, d) => {
  const org = await orgOfAgent(d, t.input.to, t.signal)
  if (!org.ok) return org
  t.targetOrg = org.value
  return next
}

/** The steps before delivery, in order. */
export const OUTBOUND_STEPS: ReadonlyArray<readonly [string, Step]> = [
  ['invoker', invoker],
  ['proof', proof],
  ['time-window', timeWindow],
  ['invocation', invocation],
  ['credentials', credentials],
  ['route', route]
]

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

  async send (input: SendTaskInput, options: { signal?: AbortSignal } = {}): Promise<Result<TaskReply & { id: string, targetOrg: string }>> {
    const prepared = await this.prepare(input, options)
    if (!prepared.ok) return prepared
    return ok(await this.deliver(prepared.value, options))
  }

  /**
   * The outbound steps only: a signed invocation with its proofs and credentials, ready to deliver.
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
    const req: TaskRequest = { v: 1, invocation: (t.invocation as { jwt: string }).jwt, proofs: t.chain as Record<string, string>, credentials: t.credentials as Record<string, string>, ...(input.args !== undefined ? { args: input.args } : {}) }
    return ok({ id: (t.invocation as { cid: string }).cid, targetOrg: t.targetOrg as string, invoker: (t.agent as AgentRecord).did, to: input.to, ability: input.ability, resource: input.resource, request: req, ...(input.timeoutMs != null ? { timeoutMs: input.timeoutMs } : {}) })
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
    try {
      const conn = await ctx.mesh.connectionToOrg(targetOrg, { signal: AbortSignal.timeout(Math.min(timeoutMs, 10_000)) })
      peerId = conn.remotePeer.toString()
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
    if (reply.receipt == null) return { ...reply, outcome: 'error', code: 'NO_RECEIPT', reason: 'the target node answered without a receipt' }
    const pub = publicKeyFromPeerIdString(peerId)
    const expectedNode = pub.ok ? didKeyFromPublicKey(pub.value) : undefined
    const r = verifyReceipt(reply.receipt, { expectedInvocation: invocationCidOf(req.invocation), ...(expectedNode != null ? { expectedNode } : {}) })
    if (!r.ok) return { outcome: 'error', code: 'BAD_RECEIPT', reason: r.error.message }
    if (r.value.org !== targetOrg || r.value.outcome !== reply.outcome || r.value.code !== reply.code) return { outcome: 'error', code: 'BAD_RECEIPT', reason: 'the receipt does not match the reply' }
    await ctx.trust.onReceipt(reply.receipt, 'received').catch(err => { ctx.logger.warn('receipt not counted as evidence', { error: (err as Error).message }) })
    return reply
  }
}

function invocationCidOf (jwt: string): string {
  const d = decodeDelegation(jwt)
  return d.ok ? d.value.cid : ''
}
