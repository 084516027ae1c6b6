/**
 * The agent side of the local control API on the wire, shared by the node's task dispatcher and the
 * agent SDK (client/): the poll and result paths, the task a local agent receives, the result it posts
 * back, and the poll request body. It lives below both so that neither imports the other.
 */

export const AGENT_POLL_PATH = '/v1/agent/poll'
export const AGENT_RESULT_PATH = '/v1/agent/tasks/:id/result'

/** Build the result path for one task id. */
export function agentResultPath (id: string): string {
  return `/v1/agent/tasks/${encodeURIComponent(id)}/result`
}

/** A task handed to a local agent. Extra fields (chain CID, receipt hints, ...) travel unchanged. */
export interface AgentTask {
  readonly id: string
  readonly ability: string
  readonly resource: string
  readonly args: unknown
  /** DID of the agent that invoked the task (possibly in another org). */
  readonly invoker: string
  /** Milliseconds since the epoch after which the node no longer accepts the result. */
  readonly deadline?: number
  readonly [extra: string]: unknown
}

/** What a local agent posts to `/v1/agent/tasks/:id/result`. */
export interface AgentTaskResult {
  ok: boolean
  output?: unknown
  error?: { code: string, message: string }
  /** The posting agent's DID; checked against the task's agent when present. */
  agent?: string
  /** Also take the agent's next queued task for these ability patterns, in the same exchange (no wait). */
  next?: { abilities: string[] }
}

/** The node's answer to a result: with `next` asked for, the agent's next queued task when there is one. */
export interface AgentResultReply {
  accepted: true
  next?: AgentTask
}

/** Body of `POST /v1/agent/poll`. */
export interface AgentPollRequest {
  agent: string
  abilities: string[]
  waitMs?: number
}
