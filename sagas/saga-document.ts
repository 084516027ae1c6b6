/**
 * The saga document (DESIGN.md section 13): an ordered list of steps, each a task to an agent with its
 * compensation, an overall deadline and a per-step timeout. Parsed from YAML or JSON and validated at
 * submission; every error names the step and the field (`step 2 (ship): compensate.ability: ...`).
 * Pure: no clock, no I/O.
 */
import { parse as parseYaml } from 'yaml'
import { checkAbility, checkResource } from '../identity/ucan/capability.js'
import { fail, ok, type Result } from '../identity/result.js'
import { findTemplateError } from './render-args.js'

export const MAX_SAGA_STEPS = 32
export const MAX_SAGA_DOCUMENT_BYTES = 256 * 1024
export const DEFAULT_SAGA_DEADLINE_S = 300
export const MAX_SAGA_DEADLINE_S = 7 * 24 * 3600
export const DEFAULT_STEP_TIMEOUT_S = 30
const STEP_ID = /^[a-z0-9][a-z0-9._-]{0,47}$/
const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$/

export interface Compensation {
  ability: string
  resource: string
  /** May hold `${output.<path>}` templates, filled from the step's output. */
  args?: unknown
}

export interface SagaStep {
  id: string
  /** DID of the agent that runs the step (any org). */
  to: string
  ability: string
  resource: string
  args?: unknown
  timeoutSeconds: number
  compensate: Compensation
}

export interface SagaDocument {
  name?: string
  deadlineSeconds: number
  stepTimeoutSeconds: number
  steps: SagaStep[]
}

/** Codes of a document that does not validate. */
export const SagaDocumentCode = {
  INVALID_SAGA: 'INVALID_SAGA',
  SAGA_TOO_LARGE: 'SAGA_TOO_LARGE'
} as const

function isObject (v: unknown): v is Record<string, unknown> {
  return v != null && typeof v === 'object' && !Array.isArray(v)
}

const bad = (where: string, message: string): { ok: false, error: { code: string, message: string } } => fail(SagaDocumentCode.INVALID_SAGA, `${where}: ${message}`)

function seconds (v: unknown, where: string, fallback: number, max: number): Result<number> {
  if (v === undefined) return ok(fallback)
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) return bad(where, `must be a number of seconds in (0, ${max}], got ${JSON.stringify(v)}`)
  return ok(v)
}

function unknownKeys (o: Record<string, unknown>, known: readonly string[], where: string): Result<void> {
  for (const k of Object.keys(o)) if (!known.includes(k)) return bad(where === '' ? k : `${where}.${k}`, `unknown field (known: ${known.join(', ')})`)
  return ok(undefined)
}

/** Parse and validate a saga document from YAML or JSON text. */
export function parseSagaDocument (text: string): Result<SagaDocument> {
  if (Buffer.byteLength(text) > MAX_SAGA_DOCUMENT_BYTES) return fail(SagaDocumentCode.SAGA_TOO_LARGE, `a saga document is at most ${MAX_SAGA_DOCUMENT_BYTES} bytes`)
  let raw: unknown
  try {
    raw = parseYaml(text, { maxAliasCount: 0 }) // YAML is a superset of JSON
  } catch (err) {
    return fail(SagaDocumentCode.INVALID_SAGA, `the saga document does not parse: ${(err as Error).message.split('\n')[0]}`)
  }
  return validateSagaDocument(raw)
}

/** Validate a parsed saga document; defaults are filled in. */
export function validateSagaDocument (raw: unknown): Result<SagaDocument> {
  if (!isObject(raw)) return bad('saga', 'must be an object with steps')
  const top = unknownKeys(raw, ['name', 'deadlineSeconds', 'stepTimeoutSeconds', 'steps'], '')
  if (!top.ok) return top
  if (raw.name !== undefined && (typeof raw.name !== 'string' || raw.name.length > 128)) return bad('name', 'must be a string of at most 128 characters')
  const deadline = seconds(raw.deadlineSeconds, 'deadlineSeconds', DEFAULT_SAGA_DEADLINE_S, MAX_SAGA_DEADLINE_S)
  if (!deadline.ok) return deadline
  const stepTimeout = seconds(raw.stepTimeoutSeconds, 'stepTimeoutSeconds', Math.min(DEFAULT_STEP_TIMEOUT_S, deadline.value), deadline.value)
  if (!stepTimeout.ok) return stepTimeout
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) return bad('steps', 'must be a non-empty list')
  if (raw.steps.length > MAX_SAGA_STEPS) return bad('steps', `at most ${MAX_SAGA_STEPS} steps`)
  const steps: SagaStep[] = []
  const ids = new Set<string>()
  for (const [i, s] of raw.steps.entries()) {
    const n = i + 1
    const label = isObject(s) && typeof s.id === 'string' ? `step ${n} (${s.id})` : `step ${n}`
    const r = validateStep(s, n, label, stepTimeout.value, deadline.value)
    if (!r.ok) return r
    if (ids.has(r.value.id)) return bad(`${label}: id`, `duplicate step id ${r.value.id}`)
    ids.add(r.value.id)
    steps.push(r.value)
  }
  return ok({ ...(typeof raw.name === 'string' ? { name: raw.name } : {}), deadlineSeconds: deadline.value, stepTimeoutSeconds: stepTimeout.value, steps })
}

function validateStep (s: unknown, n: number, label: string, defaultTimeout: number, deadline: number): Result<SagaStep> {
  if (!isObject(s)) return bad(label, 'must be an object with to, ability, resource and compensate')
  const keys = unknownKeys(s, ['id', 'to', 'ability', 'resource', 'args', 'timeoutSeconds', 'compensate'], label)
  if (!keys.ok) return keys
  const id = s.id ?? `step-${n}`
  if (typeof id !== 'string' || !STEP_ID.test(id)) return bad(`${label}: id`, 'must be 1-48 of [a-z0-9._-]')
  if (typeof s.to !== 'string' || !DID_KEY.test(s.to)) return bad(`${label}: to`, 'must be the did:key of the agent that runs the step')
  const cap = capability(s, `${label}: `)
  if (!cap.ok) return cap
  const timeout = seconds(s.timeoutSeconds, `${label}: timeoutSeconds`, defaultTimeout, deadline)
  if (!timeout.ok) return timeout
  const argsErr = jsonError(s.args)
  if (argsErr != null) return bad(`${label}: args`, argsErr)
  if (!isObject(s.compensate)) return bad(`${label}: compensate`, 'is required: every step needs a way back (ability, resource, args)')
  const c = s.compensate
  const ckeys = unknownKeys(c, ['ability', 'resource', 'args'], `${label}: compensate`)
  if (!ckeys.ok) return ckeys
  const ccap = capability({ ability: c.ability, resource: c.resource ?? s.resource }, `${label}: compensate.`)
  if (!ccap.ok) return ccap
  const cargsErr = jsonError(c.args) ?? findTemplateError(c.args)
  if (cargsErr != null) return bad(`${label}: compensate.args`, cargsErr)
  return ok({
    id, to: s.to, ability: cap.value.ability, resource: cap.value.resource, ...(s.args !== undefined ? { args: s.args } : {}), timeoutSeconds: timeout.value,
    compensate: { ability: ccap.value.ability, resource: ccap.value.resource, ...(c.args !== undefined ? { args: c.args } : {}) }
  })
}

function capability (o: Record<string, unknown>, prefix: string): Result<{ ability: string, resource: string }> {
  if (typeof o.ability !== 'string') return bad(`${prefix}ability`, 'is required (e.g. orders/create)')
  const a = checkAbility(o.ability)
  if (!a.ok) return bad(`${prefix}ability`, a.error.message)
  if (o.ability.includes('*')) return bad(`${prefix}ability`, 'must be a concrete ability, not a pattern')
  if (typeof o.resource !== 'string') return bad(`${prefix}resource`, 'is required (e.g. tm:did:key:.../orders)')
  const r = checkResource(o.resource)
  if (!r.ok) return bad(`${prefix}resource`, r.error.message)
  return ok({ ability: o.ability, resource: o.resource })
}

/** Only plain JSON values travel as task arguments. */
function jsonError (v: unknown, depth = 0): string | undefined {
  if (depth > 32) return 'nested too deeply'
  if (v === undefined || v === null || typeof v === 'string' || typeof v === 'boolean') return undefined
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : 'numbers must be finite'
  if (Array.isArray(v)) { for (const x of v) { const e = jsonError(x, depth + 1); if (e != null) return e } return undefined }
  if (isObject(v) && Object.getPrototypeOf(v) === Object.prototype) { for (const x of Object.values(v)) { const e = jsonError(x, depth + 1); if (e != null) return e } return undefined }
  return 'must be plain JSON'
}
