/**
 * The agent API on `<data-dir>/agent.sock` (DESIGN.md section 2b): its own server and router, apart
 * from the operator API. Every request is signed by the calling agent's key (agent-auth.ts), and an
 * agent acts only as itself: it sends tasks whose invocation it signed, grants and revokes delegations
 * it issued, polls and answers tasks addressed to it, reads its own credential and delegations, and
 * asks after tasks it sent (pending ones included), runs, follows and cancels its own sagas, queries trust and the partners' agent directory. No operator route exists here.
 */
import type { Components } from '../../components.js'
import type { ControlServer } from '../control-server.js'
import type { DelegationService } from '../../services/delegation/delegation-service.js'
import type { TasksService } from '../../services/tasks/tasks-service.js'
import { DelegationGrants } from '../../services/delegation/delegation-grants.js'
import { AGENT_NODE_PATH, callerOf } from './agent-auth.js'
import { agentActRoutes } from './act-routes.js'
import { agentSelfRoutes } from './self-routes.js'
import { agentTaskStatusRoute } from './task-status-route.js'
import type { TaskStatusService } from '../../services/approvals/task-status.js'
import { agentSagaRoutes, type AgentSagas } from './saga-routes.js'
import { registerTaskRoutes } from './task-routes.js'

export { createAgentAuthenticator, callerOf, AGENT_NODE_PATH } from './agent-auth.js'

export type AgentApiComponents = Pick<Components, 'clock' | 'logger' | 'identity' | 'nodeSigner' | 'agents' | 'audit' | 'trust' | 'registry' | 'dispatcher'>

export interface AgentApiServices {
  delegation: Pick<DelegationService, 'parts' | 'submitRevocation'>
  tasks: Pick<TasksService, 'sender'>
  taskStatus: Pick<TaskStatusService, 'status'>
  /** Sagas the agent runs as itself (absent: the routes are not served). */
  sagas?: AgentSagas
}

export function registerAgentRoutes (server: ControlServer, c: AgentApiComponents, s: AgentApiServices): void {
  server.route('GET', AGENT_NODE_PATH, async () => ({ node: c.nodeSigner.did, org: c.identity.orgDid, orgName: c.identity.orgName }))
  const grants = new DelegationGrants(c, { ...s.delegation.parts, orgOfAgent: async (did) => await s.tasks.sender.orgOfAgent(did) })
  agentSelfRoutes(server, c, s.delegation.parts)
  agentActRoutes(server, { grants, sender: s.tasks.sender, submitRevocation: s.delegation.submitRevocation })
  agentTaskStatusRoute(server, s.taskStatus)
  if (s.sagas != null) agentSagaRoutes(server, s.sagas)
  registerTaskRoutes(server, c.dispatcher, callerOf)
}
