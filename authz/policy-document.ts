/**
 * The policy document: its types and a strict schema validator. A document is data (YAML or JSON)
 * with `version`, `name`, `extends`, `default`, `rings` and `rules`; any field or operator this
 * validator does not know is a load error naming the file, the rule and the field, because a policy
 * the node only half understands must never be enforced as if it were understood.
 */
import { isDidKey } from '../identity/did-key.js'
import { abilityPatternError, resourcePrefixError } from './ability.js'
import { PolicyLoadCode, PolicyLoadError } from './errors.js'

export type Effect = 'allow' | 'deny' | 'require_approval'
/** Defaults may never be `allow`: trustmesh is default deny. */
export type DefaultEffect = 'deny' | 'require_approval'
export type Scalar = string | number | boolean | null

export interface ArgCondition {
  readonly eq?: Scalar
  readonly lte?: number
  readonly gte?: number
  readonly lt?: number
  readonly gt?: number
  readonly in?: readonly Scalar[]
  readonly maxLength?: number
}

export interface RuleMatch {
  /** Ability patterns (any of). Absent: any ability. */
  readonly ability?: readonly string[]
  /** Resource prefixes on whole segments (any of). Absent: any resource. */
  readonly resource?: readonly string[]
  /** Caller org DIDs or `self` / `partner` (any of). Absent: any caller. */
  readonly callerOrg?: readonly string[]
  /** Inclusive range on the effective ring number. */
  readonly ring?: { readonly min?: number, readonly max?: number }
  readonly trust?: { readonly min: number }
  /** Conditions on the task arguments, keyed by dotted path. */
  readonly args?: Readonly<Record<string, ArgCondition>>
}

/** On a `require_approval` rule: how many distinct approvers must approve, and of which role. */
export interface ApprovalRequirement {
  /** Distinct approvers (two-person rule: 2). */
  readonly count: number
  /** Approvers of this role only (`approval approver add NAME --role R`); absent: any approver. */
  readonly role?: string
}

export interface PolicyRule {
  readonly id: string
  readonly effect: Effect
  readonly match: RuleMatch
  readonly reason?: string
  /** Only on `require_approval` rules; absent: one approval from any approver. */
  readonly approvals?: ApprovalRequirement
}

export const MAX_APPROVALS_REQUIRED = 10
/** Approver names and roles: short identifiers. */
export const APPROVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

export interface PolicyDocument {
  readonly version: 1
  readonly name: string
  readonly extends: readonly string[]
  /**
   * What the level answers when none of its rules match. Absent: `deny` for a root document; for a
   * document that extends others, the level abstains and its ancestors decide.
   */
  readonly default?: DefaultEffect
  /** Ability pattern -> required ring (0..3). */
  readonly rings: Readonly<Record<string, number>>
  readonly rules: readonly PolicyRule[]
}

export const MAX_RULES = 1000
export const MAX_RING_ENTRIES = 1000
export const TRUST_MAX = 1000
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/
const ARG_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|[0-9]+))*$/
const FORBIDDEN_PATH_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor'])
const TOP_FIELDS = new Set(['version', 'name', 'extends', 'default', 'rings', 'rules'])
const RULE_FIELDS = new Set(['id', 'effect', 'match', 'reason', 'approvals'])
const MATCH_FIELDS = new Set(['ability', 'resource', 'callerOrg', 'ring', 'trust', 'args'])
const ARG_OPS = new Set(['eq', 'lte', 'gte', 'lt', 'gt', 'in', 'maxLength'])
const EFFECTS = new Set<string>(['allow', 'deny', 'require_approval'])

interface Ctx { file: string, rule?: string }

function bad (ctx: Ctx, field: string, message: string): PolicyLoadError {
  return new PolicyLoadError(PolicyLoadCode.POLICY_SCHEMA_ERROR, message, { file: ctx.file, ...(ctx.rule != null ? { rule: ctx.rule } : {}), field })
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return v != null && typeof v === 'object' && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)
}

function object (ctx: Ctx, field: string, v: unknown, allowed: Set<string>, what: string): Record<string, unknown> {
  if (!isPlainObject(v)) throw bad(ctx, field, `${what} must be a mapping`)
  for (const k of Object.keys(v)) {
    if (!allowed.has(k)) throw bad(ctx, field === '' ? k : `${field}.${k}`, `unknown ${what === 'condition' ? 'operator' : 'field'} '${k}' (allowed: ${[...allowed].join(', ')})`)
  }
  return v
}

function stringList (ctx: Ctx, field: string, v: unknown, check: (s: string) => string | undefined): string[] {
  const list = typeof v === 'string' ? [v] : v
  if (!Array.isArray(list) || list.length === 0) throw bad(ctx, field, 'must be a string or a non-empty list of strings')
  return list.map((s, i) => {
    if (typeof s !== 'string') throw bad(ctx, `${field}[${i}]`, 'must be a string')
    const err = check(s)
    if (err != null) throw bad(ctx, `${field}[${i}]`, err)
    return s
  })
}

function integerIn (ctx: Ctx, field: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(ctx, field, `must be an integer from ${lo} to ${hi}`)
  return v
}

function finite (ctx: Ctx, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(ctx, field, 'must be a finite number')
  return v
}

function scalar (ctx: Ctx, field: string, v: unknown): Scalar {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v
  return finite(ctx, field, v)
}

function validateArgs (ctx: Ctx, field: string, v: unknown): Record<string, ArgCondition> {
  if (!isPlainObject(v) || Object.keys(v).length === 0) throw bad(ctx, field, 'args must be a non-empty mapping of path -> condition')
  const out: Record<string, ArgCondition> = {}
  for (const [path, cond] of Object.entries(v)) {
    const f = `${field}.${path}`
    if (!ARG_PATH.test(path) || path.split('.').some((s) => FORBIDDEN_PATH_SEGMENTS.has(s))) throw bad(ctx, f, `'${path}' is not a dotted argument path`)
    const c = object(ctx, f, cond, ARG_OPS, 'condition')
    if (Object.keys(c).length === 0) throw bad(ctx, f, 'condition has no operator')
    const r: { -readonly [K in keyof ArgCondition]: ArgCondition[K] } = {}
    if ('eq' in c) r.eq = scalar(ctx, `${f}.eq`, c.eq)
    for (const op of ['lte', 'gte', 'lt', 'gt'] as const) if (op in c) r[op] = finite(ctx, `${f}.${op}`, c[op])
    if ('in' in c) {
      if (!Array.isArray(c.in) || c.in.length === 0 || c.in.length > 1000) throw bad(ctx, `${f}.in`, "'in' must be a non-empty list of at most 1000 scalars")
      r.in = c.in.map((x, i) => scalar(ctx, `${f}.in[${i}]`, x))
    }
    if ('maxLength' in c) r.maxLength = integerIn(ctx, `${f}.maxLength`, c.maxLength, 0, Number.MAX_SAFE_INTEGER)
    out[path] = r
  }
  return out
}

function validateMatch (ctx: Ctx, v: unknown): RuleMatch {
  const m = object(ctx, 'match', v, MATCH_FIELDS, 'match')
  const out: { -readonly [K in keyof RuleMatch]: RuleMatch[K] } = {}
  if ('ability' in m) out.ability = stringList(ctx, 'match.ability', m.ability, abilityPatternError)
  if ('resource' in m) out.resource = stringList(ctx, 'match.resource', m.resource, resourcePrefixError)
  if ('callerOrg' in m) {
    out.callerOrg = stringList(ctx, 'match.callerOrg', m.callerOrg, (s) => s === 'self' || s === 'partner' || isDidKey(s) ? undefined : `'${s}' is not a did:key, 'self' or 'partner'`)
  }
  if ('ring' in m) {
    const r = object(ctx, 'match.ring', m.ring, new Set(['min', 'max']), 'ring')
    if (!('min' in r) && !('max' in r)) throw bad(ctx, 'match.ring', 'ring needs min and/or max')
    const ring: { min?: number, max?: number } = {}
    if ('min' in r) ring.min = integerIn(ctx, 'match.ring.min', r.min, 0, 3)
    if ('max' in r) ring.max = integerIn(ctx, 'match.ring.max', r.max, 0, 3)
    if (ring.min != null && ring.max != null && ring.min > ring.max) throw bad(ctx, 'match.ring', 'ring.min is greater than ring.max')
    out.ring = ring
  }
  if ('trust' in m) {
    const t = object(ctx, 'match.trust', m.trust, new Set(['min']), 'trust')
    out.trust = { min: integerIn(ctx, 'match.trust.min', t.min, 0, TRUST_MAX) }
  }
  if ('args' in m) out.args = validateArgs(ctx, 'match.args', m.args)
  return out
}

function validateRule (file: string, v: unknown, index: number): PolicyRule {
  const idGuess = isPlainObject(v) && typeof v.id === 'string' ? v.id : `#${index}`
  const ctx: Ctx = { file, rule: idGuess }
  const r = object(ctx, '', v, RULE_FIELDS, 'rule')
  if (typeof r.id !== 'string' || !RULE_ID.test(r.id)) throw bad(ctx, 'id', 'rule id must match [A-Za-z0-9][A-Za-z0-9_.-]*')
  if (typeof r.effect !== 'string' || !EFFECTS.has(r.effect)) throw bad(ctx, 'effect', `effect must be one of allow, deny, require_approval (got ${JSON.stringify(r.effect)})`)
  if (!('match' in r)) throw bad(ctx, 'match', "rule needs a 'match' mapping (use {} to match everything)")
  const rule: { -readonly [K in keyof PolicyRule]: PolicyRule[K] } = { id: r.id, effect: r.effect as Effect, match: validateMatch(ctx, r.match) }
  if ('reason' in r) {
    if (typeof r.reason !== 'string' || r.reason.length > 1000) throw bad(ctx, 'reason', 'reason must be a string of at most 1000 characters')
    rule.reason = r.reason
  }
  if ('approvals' in r) {
    if (rule.effect !== 'require_approval') throw bad(ctx, 'approvals', `approvals is only allowed on require_approval rules, not on ${rule.effect}`)
    const a = object(ctx, 'approvals', r.approvals, new Set(['count', 'role']), 'approvals')
    if (!('count' in a)) throw bad(ctx, 'approvals.count', 'approvals needs a count')
    const req: { count: number, role?: string } = { count: integerIn(ctx, 'approvals.count', a.count, 1, MAX_APPROVALS_REQUIRED) }
    if ('role' in a) {
      if (typeof a.role !== 'string' || !APPROVER_NAME.test(a.role)) throw bad(ctx, 'approvals.role', 'role must match [A-Za-z0-9][A-Za-z0-9_.-]* (at most 64 characters)')
      req.role = a.role
    }
    rule.approvals = req
  }
  return rule
}

/** Validate a parsed value as a policy document. Throws PolicyLoadError(POLICY_SCHEMA_ERROR). */
export function validatePolicyDocument (value: unknown, file: string): PolicyDocument {
  const ctx: Ctx = { file }
  const d = object(ctx, '', value, TOP_FIELDS, 'document')
  if (d.version !== 1) throw bad(ctx, 'version', `version must be 1 (got ${JSON.stringify(d.version)})`)
  if (typeof d.name !== 'string' || d.name.length === 0 || d.name.length > 256) throw bad(ctx, 'name', 'name must be a non-empty string')
  const ext = 'extends' in d ? stringList(ctx, 'extends', d.extends, (s) => s.length > 0 && s.length <= 1024 ? undefined : 'parent reference must be 1..1024 characters') : []
  if (new Set(ext).size !== ext.length) throw bad(ctx, 'extends', 'a parent is listed twice')
  let def: DefaultEffect | undefined
  if ('default' in d) {
    if (d.default === 'allow') throw bad(ctx, 'default', "default 'allow' is refused: trustmesh policies are default deny (use 'deny' or 'require_approval' and allow with rules)")
    if (d.default !== 'deny' && d.default !== 'require_approval') throw bad(ctx, 'default', `default must be 'deny' or 'require_approval' (got ${JSON.stringify(d.default)})`)
    def = d.default
  }
  const rings: Record<string, number> = {}
  if ('rings' in d) {
    if (!isPlainObject(d.rings)) throw bad(ctx, 'rings', 'rings must be a mapping of ability pattern -> ring')
    const entries = Object.entries(d.rings)
    if (entries.length > MAX_RING_ENTRIES) throw bad(ctx, 'rings', `more than ${MAX_RING_ENTRIES} entries`)
    for (const [pattern, ring] of entries) {
      const err = abilityPatternError(pattern)
      if (err != null) throw bad(ctx, `rings.${pattern}`, err)
      rings[pattern] = integerIn(ctx, `rings.${pattern}`, ring, 0, 3)
    }
  }
  const rawRules = 'rules' in d ? d.rules : []
  if (!Array.isArray(rawRules)) throw bad(ctx, 'rules', 'rules must be a list')
  if (rawRules.length > MAX_RULES) throw bad(ctx, 'rules', `more than ${MAX_RULES} rules`)
  const rules = rawRules.map((r, i) => validateRule(file, r, i))
  const seen = new Set<string>()
  for (const r of rules) {
    if (seen.has(r.id)) throw bad({ file, rule: r.id }, 'id', `rule id '${r.id}' is used twice in this document`)
    seen.add(r.id)
  }
  return { version: 1, name: d.name, extends: ext, ...(def != null ? { default: def } : {}), rings, rules }
}

/** One loaded document in an inheritance chain. */
export interface PolicyLevel {
  /** The reference it was loaded under (file path or name), used in errors and traces. */
  readonly file: string
  readonly document: PolicyDocument
}

/**
 * A policy with its parents resolved: every document of the `extends` graph, parents before children,
 * each once. Evaluation is the conjunction of all levels, so their order never loosens anything.
 */
export interface EffectivePolicy {
  readonly levels: readonly PolicyLevel[]
}

/** The level's answer when no rule matches: its default, `deny` for a root, `abstain` for a child without one. */
export function levelDefault (doc: PolicyDocument): DefaultEffect | 'abstain' {
  if (doc.default === 'deny' || doc.default === 'require_approval') return doc.default
  if (doc.default != null) return 'deny'
  return doc.extends.length === 0 ? 'deny' : 'abstain'
}

export function isEffectivePolicy (v: PolicyDocument | EffectivePolicy): v is EffectivePolicy {
  return Array.isArray((v as EffectivePolicy).levels)
}
