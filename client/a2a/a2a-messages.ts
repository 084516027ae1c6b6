/**
 * The A2A envelope of mesh tasks, both ways: what an A2A message asks of the mesh (ability, resource
 * and arguments, from the message's data part and its `trustmesh` metadata), a mesh outcome as an
 * A2A task (completed, rejected with its reason code, failed), and a mesh task as an A2A message
 * carrying its invocation and delegation chain in metadata. The envelope never decides anything: the
 * node checks the task exactly as it would without A2A.
 */
import { randomUUID } from 'node:crypto'
import { Role, TaskState, type Message, type Part, type Task } from '@a2a-js/sdk'
import type { AgentTask } from '../../protocols/control/agent-task.js'
import type { TaskOutcome } from '../agent.js'

/** The metadata key under which trustmesh data travels in A2A messages and tasks. */
export const TRUSTMESH_METADATA_KEY = 'trustmesh'
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/

/** What a mesh task needs beyond its target, read from an A2A message. */
export interface MeshRequest { ability?: string, resource?: string, proof?: string, timeoutMs?: number, args: unknown }

function dataPart (value: unknown): Part {
  return { content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' }
}

function textPart (value: string): Part {
  return { content: { $case: 'text', value }, metadata: undefined, filename: '', mediaType: 'text/plain' }
}

function meta (m: { metadata?: Record<string, unknown> | undefined } | undefined): Record<string, unknown> {
  const v = m?.metadata?.[TRUSTMESH_METADATA_KEY]
  return v != null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {}
}

/** The payload of parts: the first data part's value, else the text parts joined as `{ text }`. */
export function payloadOf (parts: readonly Part[]): unknown {
  const data = parts.find(p => p.content?.$case === 'data')
  if (data?.content?.$case === 'data') return data.content.value
  const texts = parts.flatMap(p => p.content?.$case === 'text' ? [p.content.value] : [])
  return texts.length > 0 ? { text: texts.join('\n') } : undefined
}

/** Read a mesh request from an A2A message (its metadata, else the request's). */
export function meshRequestOf (message: Message, requestMetadata?: Record<string, unknown>): MeshRequest {
  const m = { ...meta({ metadata: requestMetadata }), ...meta(message) }
  const s = (k: string): string | undefined => typeof m[k] === 'string' && m[k] !== '' ? m[k] as string : undefined
  const ability = s('ability')
  const resource = s('resource')
  const proof = s('proof')
  const timeoutMs = typeof m.timeoutMs === 'number' && m.timeoutMs > 0 ? m.timeoutMs : undefined
  return { args: payloadOf(message.parts), ...(ability != null ? { ability } : {}), ...(resource != null ? { resource } : {}), ...(proof != null ? { proof } : {}), ...(timeoutMs != null ? { timeoutMs } : {}) }
}

const STATE: Record<TaskOutcome['outcome'], TaskState> = {
  ok: TaskState.TASK_STATE_COMPLETED,
  denied: TaskState.TASK_STATE_REJECTED,
  error: TaskState.TASK_STATE_FAILED,
  // waits for a human approval at the target org; the approval id is in the metadata
  pending: TaskState.TASK_STATE_AUTH_REQUIRED
}

/** A mesh outcome as the A2A task's result: output as an artifact, the reason code in status and metadata. */
export function taskOfOutcome (o: TaskOutcome, ids: { taskId: string, contextId: string }, request: Message): Task {
  const { output, ...rest } = o
  const trustmesh = { ...rest }
  const summary = o.outcome === 'ok' ? 'done' : `${o.code}: ${o.reason ?? o.outcome}`
  const status: Message = {
    messageId: randomUUID(), contextId: ids.contextId, taskId: ids.taskId, role: Role.ROLE_AGENT,
    parts: [textPart(summary)], metadata: { [TRUSTMESH_METADATA_KEY]: trustmesh }, extensions: [], referenceTaskIds: []
  }
  return {
    id: ids.taskId,
    contextId: ids.contextId,
    status: { state: STATE[o.outcome], message: status, timestamp: new Date().toISOString() },
    artifacts: o.outcome === 'ok' && output !== undefined
      ? [{ artifactId: `${o.id}-output`, name: 'output', description: `output of mesh task ${o.id}`, parts: [dataPart(output)], metadata: undefined, extensions: [] }]
      : [],
    history: [request],
    metadata: { [TRUSTMESH_METADATA_KEY]: trustmesh }
  }
}

/** A refusal before any mesh task exists (bad request at the edge) as a rejected A2A task. */
export function rejectedTask (code: string, reason: string, ids: { taskId: string, contextId: string }, request: Message): Task {
  return taskOfOutcome({ id: ids.taskId, targetOrg: '', outcome: 'denied', code, reason }, ids, request)
}

/** A mesh task delivered to an A2A server: arguments as a data part; the invocation and chain in metadata. */
export function messageOfTask (task: AgentTask): Message {
  const { args, ...rest } = task
  return {
    messageId: randomUUID(), contextId: task.id, taskId: '', role: Role.ROLE_USER,
    parts: [dataPart(args ?? null)],
    metadata: { [TRUSTMESH_METADATA_KEY]: rest },
    extensions: [], referenceTaskIds: []
  }
}

/** An A2A server refused or failed a task: the task fails with this code. */
export class A2ATaskError extends Error {
  override readonly name = 'A2ATaskError'
  constructor (readonly code: string, message: string) { super(message) }
}

/** The output of an A2A result (a message or a task); throws A2ATaskError unless it completed. */
export function outputOfResult (r: Message | Task): unknown {
  if ('messageId' in r) return payloadOf(r.parts)
  const state = r.status?.state
  if (state === TaskState.TASK_STATE_COMPLETED) {
    const parts = r.artifacts.flatMap(a => a.parts)
    return parts.length > 0 ? payloadOf(parts) : (r.status?.message != null ? payloadOf(r.status.message.parts) : undefined)
  }
  const said = meta(r.status?.message).code ?? meta(r).code
  const code = typeof said === 'string' && CODE.test(said) ? said : state === TaskState.TASK_STATE_REJECTED ? 'A2A_REJECTED' : 'A2A_FAILED'
  const text = r.status?.message != null ? payloadOf(r.status.message.parts) : undefined
  const why = (text as { text?: unknown } | undefined)?.text
  throw new A2ATaskError(code, typeof why === 'string' ? why.slice(0, 1024) : `the A2A agent ended the task in state ${TaskState[state ?? 0] ?? String(state)}`)
}
