/** A policy decision as data: the effect, a stable code, a human reason and the trace that decided. */
import type { ApprovalRequirement, Effect } from './policy-document.js'

export interface TraceEntry {
  /** Index of the level in the effective policy (0 = first root); -1 for checks outside the levels. */
  readonly level: number
  /** Reference the level was loaded from. */
  readonly file: string
  /** Rule id that decided the level; absent when its default did. */
  readonly rule?: string
  /** `abstain`: a child level with no matching rule and no default of its own. */
  readonly effect: Effect | 'abstain'
  readonly code: string
  readonly reason: string
  /** For a `require_approval` rule: the approvals it requires (absent: one, from any approver). */
  readonly approvals?: ApprovalRequirement
}

/** One finding behind a decision, with its own stable code (ucanto's `DelegationError.causes`). */
export interface DecisionCause {
  readonly code: string
  readonly message: string
}

export interface Decision {
  readonly effect: Effect
  readonly code: string
  readonly reason: string
  readonly trace: readonly TraceEntry[]
}

export function denyDecision (code: string, reason: string, trace: readonly TraceEntry[] = []): Decision {
  return { effect: 'deny', code, reason, trace }
}
