/**
 * The operator API on `<data-dir>/control.sock` (0600): every route an operator uses, each module a
 * thin adapter over the service interfaces it is given.
 */
import type { Components } from '../../components.js'
import type { AuditNodeService } from '../../services/audit/audit-node-service.js'
import type { DelegationService } from '../../services/delegation/delegation-service.js'
import type { TasksService } from '../../services/tasks/tasks-service.js'
import type { ApprovalsService } from '../../services/approvals/approvals-service.js'
import type { TrustNodeService } from '../../services/trust/index.js'
import { coreRoutes } from './core-routes.js'
import { agentRoutes } from './agent-routes.js'
import { delegationRoutes } from './delegation-routes.js'
import { taskRoutes } from './task-routes.js'
import { policyRoutes } from './policy-routes.js'
import { approverRoutes } from './approver-routes.js'
import { approvalRoutes } from './approval-routes.js'
import { ringRoutes } from './ring-routes.js'
import { auditRoutes } from './audit-routes.js'
import { trustRoutes } from './trust-routes.js'
import { echoRoutes } from './echo-routes.js'
import { sagaRoutes } from './saga-routes.js'
import type { SagasService } from '../../services/sagas/sagas-service.js'

export interface OperatorServices {
  audit: AuditNodeService
  delegation: DelegationService
  tasks: TasksService
  approvals: ApprovalsService
  trust: TrustNodeService
  sagas?: SagasService
  /** Each service's contribution to `node status`. */
  status: () => Record<string, unknown>
}

export type OperatorComponents = Pick<Components, 'control' | 'clock' | 'logger' | 'identity' | 'libp2p' | 'registry' | 'enrolments' | 'mesh' | 'startedAt' | 'audit' | 'agents' | 'roots' | 'trust' | 'policy' | 'store' | 'orgSigner'>

export function registerOperatorRoutes (c: OperatorComponents, s: OperatorServices): void {
  coreRoutes(c, c.policy, s.status)
  agentRoutes(c)
  delegationRoutes(c, s.delegation.parts, s.delegation.revoke)
  taskRoutes(c, s.tasks)
  policyRoutes(c, { elevations: s.approvals.elevations, book: s.approvals.book, audit: c.audit })
  approvalRoutes(c, s.approvals.queue, s.approvals.taskStatus)
  approverRoutes(c, s.approvals.approvers)
  ringRoutes(c, s.approvals.elevations, c.audit)
  auditRoutes(c, s.audit.services)
  trustRoutes(c, s.trust.service, c.audit)
  echoRoutes(c)
  if (s.sagas != null) sagaRoutes(c, s.sagas)
}
