/**
 * Authentication of the agent API: every request carries a proof signed by the calling agent's key
 * (identity/agent-proof.ts: method, path, body digest, this node as audience, issued-at, nonce) from
 * an agent this node hosts. Proofs older than 60 s, or signed before this node started, are refused,
 * and a nonce is accepted once: a replayed proof is refused (`PROOF_REPLAYED`). Only `GET
 * /v1/agent/node` (the audience to sign for) is answered without a proof.
 */
import { AGENT_PROOF_HEADER, AGENT_PROOF_MAX_AGE_S, AGENT_PROOF_FUTURE_S, verifyAgentProof } from '../../../identity/agent-proof.js'
import type { Clock } from '../../../identity/clock.js'
import type { RawRequest } from '../control-server.js'
import type { ControlRequest } from '../control-server.js'
import { ControlRouteError } from '../errors.js'
import type { AgentRegistry } from '../../services/agents/agent-registry.js'

export const AGENT_NODE_PATH = '/v1/agent/node'
/** Nonces remembered at most; beyond this, proofs are refused until old ones age out (fail closed). */
const MAX_NONCES = 100_000

export interface AgentAuthOptions {
  agents: Pick<AgentRegistry, 'hosts'>
  /** The node's own DID: the audience every proof must name. */
  nodeDid: string
  clock: Clock
  /** When the node started (ms): proofs issued before it cannot be told apart from replays. */
  startedAt: number
}

export function createAgentAuthenticator (o: AgentAuthOptions): (req: RawRequest) => Promise<string | undefined> {
  const seen = new Map<string, number>()
  const startedS = Math.floor(o.startedAt / 1000)
  const prune = (nowS: number): void => {
    for (const [k, until] of seen) if (until < nowS) seen.delete(k)
  }
  return async (req) => {
    if (req.method === 'GET' && req.path === AGENT_NODE_PATH) return undefined
    const header = req.headers[AGENT_PROOF_HEADER]
    const nowS = Math.floor(o.clock.now() / 1000)
    const v = verifyAgentProof(Array.isArray(header) ? header[0] : header, { method: req.method, path: req.path, body: req.body, audience: o.nodeDid }, nowS)
    if (!v.ok) throw new ControlRouteError(v.error.code, v.error.message, 401)
    if (v.value.issuedAt < startedS) throw new ControlRouteError('PROOF_EXPIRED', 'agent proof was signed before this node started', 401)
    // from the registry's DID index: no record read per request (removal updates the index at once)
    if (!await o.agents.hosts(v.value.agent)) throw new ControlRouteError('UNKNOWN_AGENT', `${v.value.agent} is not an agent of this node`, 401)
    const key = `${v.value.agent} ${v.value.nonce}`
    if (seen.has(key)) throw new ControlRouteError('PROOF_REPLAYED', 'this agent proof was used before: sign a new one for every request', 401)
    if (seen.size >= MAX_NONCES) prune(nowS)
    if (seen.size >= MAX_NONCES) throw new ControlRouteError('PROOF_CACHE_FULL', 'too many recent requests; try again shortly', 503)
    seen.set(key, v.value.issuedAt + AGENT_PROOF_MAX_AGE_S + AGENT_PROOF_FUTURE_S)
    return v.value.agent
  }
}

/** The authenticated agent DID of a request (every agent route but AGENT_NODE_PATH has one). */
export function callerOf (req: ControlRequest): string {
  if (req.caller == null) throw new ControlRouteError('UNAUTHENTICATED', 'this route needs an agent proof', 401)
  return req.caller
}
