/**
 * Trust scores across organisations (DESIGN.md section 7) as a node service: first-hand evidence from
 * receipts, signed attestations gossiped on `/trustmesh/trust/1`, personalised EigenTrust, and the
 * score the task path (`minTrust`, policy `trust` conditions) and gossipsub's peer score read.
 */
import type { Components, Service, TrustLookup, ReceiptSink, AgentLifecycle } from '../../components.js'
import type { AgentRecord } from '../agents/agent-registry.js'
import { TrustService } from './trust-service.js'
import type { TrustSettings } from './trust-settings.js'

export { TrustService } from './trust-service.js'
export { DEFAULT_TRUST_SETTINGS, trustSettingsFromEnv, type TrustSettings } from './trust-settings.js'

export const TRUST_DEPENDENCIES = ['clock', 'logger', 'identity', 'orgSigner', 'enrolments', 'store', 'gossip', 'agents'] as const
export type TrustComponents = Pick<Components, typeof TRUST_DEPENDENCIES[number]>

export interface TrustNodeService extends Service, TrustLookup, ReceiptSink, AgentLifecycle {
  readonly service: TrustService
}

export function createTrustService (c: TrustComponents, settings: TrustSettings, options: { currentOrg?: (did: string) => string } = {}): TrustNodeService {
  const service = new TrustService({
    clock: c.clock,
    logger: c.logger.child('trust'),
    // read at each use: an org key rotation changes it in place
    get selfOrg () { return c.identity.orgDid },
    ...(options.currentOrg != null ? { currentOrg: options.currentOrg } : {}),
    orgSigner: c.orgSigner,
    enrolments: c.enrolments,
    store: c.store,
    gossip: c.gossip,
    localAgents: async () => (await c.agents.list()).map(a => a.did),
    settings
  })
  service.registerTopic()
  return {
    name: 'trust',
    dependencies: TRUST_DEPENDENCIES,
    service,
    trustOf: (did) => service.trustOf(did),
    onReceipt: async (receipt, direction) => { await service.onReceipt(receipt, direction) },
    agentCreated: async (agent: AgentRecord) => { service.agentCreated(agent.did) },
    status: () => service.status(),
    start: async () => { await service.start() },
    stop: async () => { await service.stop() }
  }
}
