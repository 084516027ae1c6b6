/**
 * The mesh as MCP tools for one agent (DESIGN.md section 12): what each tool is for, its JSON Schema,
 * and the call it makes through the agent SDK. A refusal (a task denied, a delegation the node will
 * not take) is a tool result with `isError` naming the reason code, so the model can read it and
 * adapt; only bad arguments from the host are protocol errors.
 */
import type { Agent } from '../agent.js'

/** A tool's result in MCP's shape: text content (JSON) and whether it is an error the model should see. */
export interface ToolResult {
  [key: string]: unknown
  content: Array<{ type: 'text', text: string }>
  structuredContent?: Record<string, unknown>
  isError?: boolean
}

export interface ToolDefinition {
  name: string
  description: string
  inputSchema: { type: 'object', properties: Record<string, unknown>, required?: string[], additionalProperties?: boolean }
}

/** Thrown for arguments a tool cannot use (the host gets a protocol error with this message). */
export class ToolInputError extends Error {
  override readonly name = 'ToolInputError'
  readonly code = 'INVALID_TOOL_INPUT'
}

const DID = { type: 'string', pattern: '^did:key:z[1-9A-HJ-NP-Za-km-z]+$', description: 'an agent or org did:key' }
const ABILITY = { type: 'string', description: 'ability, namespace/verb, e.g. "records/read"' }
const RESOURCE = { type: 'string', description: 'resource URI in the owning org, e.g. "tm:did:key:z6Mk.../records/42"' }

export const MESH_TOOLS: readonly ToolDefinition[] = [
  {
    name: 'send_task',
    description: 'Ask an agent of a partner organisation (or of your own) to perform an ability on a resource, as you. ' +
      'You need a delegation that grants that ability on that resource (see list_delegations). Every hop checks the delegation chain, ' +
      'rings, policies and trust. Returns outcome (ok, error, denied, pending), a reason code (OK, or why it was refused, e.g. ' +
      'NO_DELEGATION, REVOKED, RING_TOO_LOW, POLICY_DENY), the output of the agent, and a receipt signed by the node that answered.',
    inputSchema: {
      type: 'object',
      properties: {
        to: { ...DID, description: 'DID of the agent that should run the task (list_agents shows them)' },
        ability: ABILITY,
        resource: RESOURCE,
        args: { description: 'arguments for the task (any JSON)' },
        proof: { type: 'string', description: 'CID of the delegation to use (default: the newest that grants it)' },
        timeoutMs: { type: 'integer', minimum: 1, maximum: 300000, description: 'how long to wait for the answer (default 30000)' }
      },
      required: ['to', 'ability', 'resource'],
      additionalProperties: false
    }
  },
  {
    name: 'delegate',
    description: 'Grant another agent (of any partner organisation) part of what you hold: an ability on a resource, for a time, ' +
      'optionally with caveats. The grant can only narrow what you hold. Returns the delegation CID (keep it to revoke).',
    inputSchema: {
      type: 'object',
      properties: {
        to: { ...DID, description: 'DID of the agent that receives the delegation' },
        ability: ABILITY,
        resource: RESOURCE,
        ttlSeconds: { type: 'integer', minimum: 1, description: 'lifetime in seconds (default: the node\'s default)' },
        caveats: {
          type: 'object',
          description: 'limits: maxAmount (number), minTrust (0..1), maxRing (1..3), policy (a policy digest)',
          properties: { maxAmount: { type: 'number' }, minTrust: { type: 'number' }, maxRing: { type: 'integer' }, policy: { type: 'string' } },
          additionalProperties: false
        }
      },
      required: ['to', 'ability', 'resource'],
      additionalProperties: false
    }
  },
  {
    name: 'revoke',
    description: 'Revoke a delegation you issued (by its CID). Every node of the mesh learns it and refuses tasks under it from then on.',
    inputSchema: {
      type: 'object',
      properties: { cid: { type: 'string', description: 'CID of the delegation' }, reason: { type: 'string', description: 'why (kept in the audit log)' } },
      required: ['cid'],
      additionalProperties: false
    }
  },
  {
    name: 'list_delegations',
    description: 'List the delegations you issued or hold: CID, issuer, audience, abilities on resources, expiry, whether revoked.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false }
  },
  {
    name: 'list_agents',
    description: 'List the agents of partner organisations you can address: DID, name, organisation, ring and the abilities each holds.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false }
  },
  {
    name: 'trust_of',
    description: 'The trust score (0..1) and tier your node holds for an agent or an organisation, from the receipts of past tasks.',
    inputSchema: { type: 'object', properties: { did: DID }, required: ['did'], additionalProperties: false }
  }
]

function text (value: unknown, isError = false): ToolResult {
  const structured = value != null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : { items: value }
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: structured, ...(isError ? { isError: true } : {}) }
}

function str (args: Record<string, unknown>, key: string, required = true): string | undefined {
  const v = args[key]
  if (v === undefined && !required) return undefined
  if (typeof v !== 'string' || v === '') throw new ToolInputError(`${key} must be a non-empty string`)
  return v
}

function num (args: Record<string, unknown>, key: string): number | undefined {
  const v = args[key]
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ToolInputError(`${key} must be a number`)
  return v
}

/** A refusal by the node (a named error with a code) as a result the model reads; other errors propagate. */
function refusal (err: unknown): ToolResult {
  const e = err as { code?: unknown, message?: unknown }
  if (typeof e?.code !== 'string') throw err
  return text({ outcome: 'denied', code: e.code, reason: typeof e.message === 'string' ? e.message : String(err) }, true)
}

/** Run one tool as `agent`. */
export async function callMeshTool (agent: Agent, name: string, args: Record<string, unknown> = {}, options: { signal?: AbortSignal } = {}): Promise<ToolResult> {
  const o = options.signal != null ? { signal: options.signal } : {}
  try {
    switch (name) {
      case 'send_task': {
        const timeoutMs = num(args, 'timeoutMs')
        const proof = str(args, 'proof', false)
        const r = await agent.send({ to: str(args, 'to') as string, ability: str(args, 'ability') as string, resource: str(args, 'resource') as string, args: args.args, ...(proof != null ? { proof } : {}), ...(timeoutMs != null ? { timeoutMs } : {}) }, o)
        return text(r, r.outcome === 'denied' || r.outcome === 'error')
      }
      case 'delegate': {
        const ttlSeconds = num(args, 'ttlSeconds')
        const caveats = args.caveats as Record<string, number | string> | undefined
        const g = await agent.delegate({ to: str(args, 'to') as string, ability: str(args, 'ability') as string, resource: str(args, 'resource') as string, ...(ttlSeconds != null ? { ttlSeconds } : {}), ...(caveats != null ? { caveats } : {}) }, o)
        const { jwt: _jwt, proof: _proof, ...view } = g
        return text(view, !g.delivered.ok)
      }
      case 'revoke': {
        const reason = str(args, 'reason', false)
        return text(await agent.revoke(str(args, 'cid') as string, { ...o, ...(reason != null ? { reason } : {}) }))
      }
      case 'list_delegations':
        return text({ delegations: (await agent.delegations(o)).map(({ jwt: _jwt, ...d }) => d) })
      case 'list_agents':
        return text({ agents: (await agent.directory(o)).map(a => ({ did: a.did, name: a.name, org: a.org, ring: a.ring, abilities: a.capabilities })) })
      case 'trust_of':
        return text(await agent.trust(str(args, 'did') as string, o))
      default:
        throw new ToolInputError(`unknown tool ${name}`)
    }
  } catch (err) {
    if (err instanceof ToolInputError) throw err
    return refusal(err)
  }
}
