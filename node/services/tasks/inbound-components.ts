/**
 * What the inbound task pipeline reads: node components (declared, checked when the node is built)
 * and the delegation parts it shares with the rest of the tasks service.
 */
import type { Components } from '../../components.js'
import type { ChainChecker } from '../delegation/chain-checker.js'
import type { PrincipalBook } from '../delegation/principal-book.js'
import type { ReplayGuard } from '../delegation/replay-guard.js'
import type { ElevationBook } from '../approvals/elevation-book.js'
import type { TaskLog } from './task-log.js'

export const INBOUND_DEPENDENCIES = ['clock', 'logger', 'identity', 'nodeSigner', 'agents', 'enrolments', 'policy', 'dispatcher', 'audit', 'approvals', 'carriedPolicies', 'trust', 'metrics'] as const

export type InboundComponents = Pick<Components, typeof INBOUND_DEPENDENCIES[number]>

export interface InboundParts {
  checker: ChainChecker
  principals: PrincipalBook
  replay: ReplayGuard
  tasks: TaskLog
  elevations: ElevationBook
  taskTimeoutMs?: number
}
