/**
 * The task plan of the agent API (`POST /v1/agent/tasks/plan`): what an agent needs to sign its own
 * invocation. The node computes it (node/services/tasks/task-sender.ts) and the SDK reads and reuses it
 * (client/plan-memory.ts); both sides share this one wire shape.
 */
import type { Caveats } from '../../identity/ucan/index.js'

/** What an agent signs a token from: one capability for `audience`, under `proof`, in a window (seconds). */
export interface SigningPlan {
  audience: string
  resource: string
  ability: string
  caveats: Caveats
  /** CID and JWT of the delegation to name in `prf`. */
  proof: { cid: string, jwt: string }
  notBefore: number
  expiration: number
}

export interface TaskPlan extends SigningPlan {
  /**
   * The chain's own window (latest link nbf, earliest link exp, in seconds) and the invocation TTL
   * the node allows: an agent may sign further invocations under the same proof from these without
   * asking again (the node checks everything again when it sends). Absent from nodes that allow no reuse.
   */
  chain?: { notBefore?: number, expiration?: number, invocationTtlSeconds: number }
}
