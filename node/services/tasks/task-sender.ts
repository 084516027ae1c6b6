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
import { verifyReceipt } from './receipt.js'

export class TaskSendError extends Error {
  override readonly name = 'TaskSendError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

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

export class TaskSender {
  readonly #d: SenderDeps
  constructor (deps: SenderDeps) {
    this.#d = deps
  }

  /** The org whose node hosts `agentDid`, asking connected partners when it is not known yet. */
  async orgOfAgent (agentDid: string): Promise<string> {
    const { ctx, principals, exchange } = this.#d
    if (await ctx.agents.get(agentDid) != null) return ctx.identity.orgDid
    let p = principals.check(agentDid)
    if (!p.ok) {
      await Promise.allSettled(ctx.registry.peers().map(async peer => await exchange.fetchAgents(peer.orgDid)))
      p = principals.check(agentDid)
    }
    if (!p.ok) throw new TaskSendError('UNKNOWN_AGENT', `cannot route to ${agentDid}: ${p.error.message} (is its org enrolled and connected?)`)
    return p.value.org
  }

  async send (input: SendTaskInput): Promise<TaskReply & { id: string, targetOrg: string }> {
    const { ctx, book, principals } = this.#d
    const agent = await ctx.agents.get(input.as)
    if (agent == null) throw new TaskSendError('UNKNOWN_AGENT', `no local agent ${input.as}`)
    const nowS = Math.floor(ctx.clock.now() / 1000)
    let proofCid = input.proof
    let granted: Capability | undefined
    if (proofCid == null) {
      const found = book.grantsFor(agent.did, input.resource, input.ability, nowS)[0]
      if (found == null) throw new TaskSendError('NO_DELEGATION', `${agent.name} holds no delegation for ${input.ability} on ${input.resource} (trustmesh delegation list)`)
      proofCid = found.rec.cid
      granted = found.capability
    }
    const chain = book.chainOf(proofCid)
    if (!chain.ok) throw new TaskSendError(chain.error.code, chain.error.message)
    const proof = decodeDelegation(chain.value[proofCid])
    if (!proof.ok) throw new TaskSendError(proof.error.code, proof.error.message)
    if (proof.value.audience !== agent.did) throw new TaskSendError('NOT_HOLDER', `delegation ${proofCid} is addressed to ${proof.value.audience}, not ${agent.did}`)
    granted ??= listCapabilities(proof.value.capabilities).find(c => capabilityWithin({ resource: input.resource, ability: input.ability, caveats: c.caveats }, c))
    if (granted == null) throw new TaskSendError('ESCALATION', `delegation ${proofCid} does not grant ${input.ability} on ${input.resource}`)
    // the invocation's time window must sit inside every link's
    let nbf = nowS - 1
    let exp = nowS + INVOCATION_TTL_S
    for (const jwt of Object.values(chain.value)) {
      const d = decodeDelegation(jwt)
      if (!d.ok) continue
      if (d.value.notBefore != null) nbf = Math.max(nbf, d.value.notBefore)
      if (d.value.expiration != null) exp = Math.min(exp, d.value.expiration)
    }
    const signer = await ctx.agents.signer(agent.name)
    const invocation = await issueInvocation(signer, {
      audience: input.to, resource: input.resource, ability: input.ability, caveats: granted.caveats,
      proof: chain.value[proofCid], nonce: randomBytes(16).toString('base64url'), notBefore: nbf, expiration: exp
    })
    const credentials: Record<string, string> = { [agent.did]: agent.credential }
    for (const jwt of Object.values(chain.value)) {
      const d = decodeDelegation(jwt)
      if (!d.ok) continue
      for (const did of [d.value.issuer, d.value.audience]) {
        const c = principals.credentialOf(did)
        if (c != null) credentials[did] = c
      }
    }
    const req: TaskRequest = { v: 1, invocation: invocation.jwt, proofs: chain.value, credentials, ...(input.args !== undefined ? { args: input.args } : {}) }
    const targetOrg = await this.orgOfAgent(input.to)
    const t0 = ctx.clock.now()
    let reply: TaskReply
    if (targetOrg === ctx.identity.orgDid) {
      reply = await this.#d.executor.execute(req, { orgDid: targetOrg })
    } else {
      reply = await this.#remote(targetOrg, req, input.timeoutMs ?? TASK_TIMEOUT_MS)
    }
    await this.#d.tasks.put({
      id: invocation.cid, direction: 'sent', ability: input.ability, resource: input.resource, invoker: agent.did, executor: input.to, peerOrg: targetOrg,
      outcome: reply.outcome, code: reply.code, ...(reply.reason != null ? { reason: reply.reason } : {}), at: t0, durationMs: ctx.clock.now() - t0,
      ...(reply.receipt != null ? { receipt: reply.receipt } : {}), ...(reply.approvalId != null ? { approvalId: reply.approvalId } : {}), ...(reply.link != null ? { link: reply.link } : {})
    })
    return { ...reply, id: invocation.cid, targetOrg }
  }

  async #remote (targetOrg: string, req: TaskRequest, timeoutMs: number): Promise<TaskReply> {
    const { ctx } = this.#d
    const signal = AbortSignal.timeout(timeoutMs)
    let reply: TaskReply
    let peerId: string
    try {
      const conn = await ctx.mesh.connectionToOrg(targetOrg, { signal: AbortSignal.timeout(Math.min(timeoutMs, 10_000)) })
      peerId = conn.remotePeer.toString()
      reply = await sendTaskRequest(conn, req, { signal })
    } catch (err) {
      const message = (err as Error).message
      const timedOut = (err instanceof ProtocolError && err.code === 'TIMEOUT') || signal.aborted
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
