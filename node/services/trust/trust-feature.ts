/**
 * Trust scores across organisations (DESIGN.md section 7, issue 7): first-hand evidence from
 * receipts, signed attestations gossiped on `/trustmesh/trust/1`, personalised EigenTrust, and the
 * score fed to the task executor (`minTrust`, policy `trust` conditions), gossipsub's
 * application-specific peer score (through `ctx.hooks.trustOf`), `node status` and the control API.
 */
import type { Feature, NodeContext } from '../../node-context.js'
import { TrustService } from './trust-service.js'
import { trustSettingsFromEnv, type TrustSettings } from './trust-settings.js'
import { trustRoutes } from '../../api/operator/trust-routes.js'

export function trustFeature (settings?: TrustSettings): (ctx: NodeContext) => Feature & { service: TrustService } {
  return (ctx) => {
    const service = new TrustService({
      clock: ctx.clock,
      logger: ctx.logger.child('trust'),
      selfOrg: ctx.identity.orgDid,
      orgSigner: ctx.orgSigner,
      enrolments: ctx.enrolments,
      store: ctx.store,
      gossip: ctx.gossip,
      localAgents: async () => (await ctx.agents.list()).map(a => a.did),
      settings: settings ?? trustSettingsFromEnv()
    })
    service.registerTopic()
    ctx.hooks.receipt.push(async (receipt, direction) => { await service.onReceipt(receipt, direction) })
    ctx.hooks.agentCreated.push(async (agent) => { service.agentCreated(agent.did) })
    ctx.hooks.trustOf = (did) => service.trustOf(did)
    ctx.statusProviders.set('trust', () => service.status())
    trustRoutes(ctx, service)
    return {
      name: 'trust',
      service,
      start: async () => { await service.start() },
      stop: async () => { await service.stop() }
    }
  }
}
