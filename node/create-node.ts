/**
 * The composition root: validates config, loads keys, opens the store, loads the policy, builds
 * libp2p and the mesh, the control API and every feature, and starts them in order (stopping them in
 * reverse). Nothing else constructs long-lived state.
 */
import { PeerCachedDatastore } from './libp2p/peer-cached-datastore.js'
import { systemClock, type Clock } from '../identity/clock.js'
import { createLogger, type Logger } from '../identity/logger.js'
import { dataDirLayout, NODE_KEY, ORG_KEY, SAGA_KEY } from './data-dir.js'
import { readIdentityFile } from './identity-file.js'
import { loadSigner } from './keys/key-location.js'
import { CurrentSigner } from './keys/current-signer.js'
import { Enrolments } from './mesh/enrolments.js'
import { RetiredPeers, type RetiredPeer } from './mesh/retired-peers.js'
import { SuccessorBook, type StoredSuccessor } from './mesh/successor-book.js'
import { registerSuccessorTopic } from './mesh/successor-topic.js'
import { createOrgKeyRotation } from './services/credentials/org-key-rotation.js'
import { identityRoutes } from './api/operator/identity-routes.js'
import { openKeyStore, resolveNodePassphrase } from './init-org.js'
import { openStore, type Store } from './store/index.js'
import { SUBLEVELS as Sublevel } from './store/sublevels.js'
import { parseSwarmKey } from './libp2p/swarm-key.js'
import { parseLanMultiaddr } from './libp2p/lan-only.js'
import { describeListenFailure, isListenFailure } from './libp2p/listen-error.js'
import { buildMeshStack } from './mesh-stack.js'
import { libp2pPrivateKeyFromSeed } from '../identity/peer-id.js'
import { libp2pPrivateKeyFromSigner } from './libp2p/signer-private-key.js'
import { Ed25519Signer } from '../identity/signer.js'
import type { Enrolment } from './mesh/enrolments.js'
import { PeerRegistry } from './mesh/peer-registry.js'
import { createControlServer } from './api/control-server.js'
import { createTaskDispatcher } from './services/tasks/task-dispatcher.js'
import { loadLocalPolicy, type LocalPolicy } from './local-policy.js'
import { ComponentRegistry, type Components, type PolicyHolder, type Service } from './components.js'
import { peerScoreFor } from './gossip/peer-score.js'
import { createRecordGossip, RecordTopics } from './gossip/index.js'
import { AgentRegistry, type AgentRecord } from './services/agents/agent-registry.js'
import { SOFTWARE_VERSION } from './version.js'
import { resolveSettings, type GivenSettings } from './settings.js'
import { createAuditNodeService, AUDIT_DEPENDENCIES, type AuditNodeService } from './services/audit/audit-node-service.js'
import { createSpiffeService, SPIFFE_DEPENDENCIES } from './services/spiffe/spiffe-service.js'
import { createDelegationService, DELEGATION_DEPENDENCIES, type DelegationService } from './services/delegation/delegation-service.js'
import { createApprovalsService, APPROVALS_DEPENDENCIES, type ApprovalsService } from './services/approvals/approvals-service.js'
import { createTasksService, TASKS_DEPENDENCIES, type TasksService } from './services/tasks/tasks-service.js'
import { createTrustService, TRUST_DEPENDENCIES, type TrustNodeService } from './services/trust/index.js'
import { registerOperatorRoutes } from './api/operator/index.js'
import { createSagasService, SAGAS_DEPENDENCIES, type SagasService } from './services/sagas/sagas-service.js'
import { registerAgentRoutes, createAgentAuthenticator } from './api/agent/index.js'
import { migrateNodeHeldAgentKeys } from './services/agents/agent-key-migration.js'
import { createMetricsService, METRICS_DEPENDENCIES, type MetricsService } from './services/metrics/metrics-service.js'
import { createMetricsServer } from './api/metrics/metrics-server.js'
import { createConsoleServer } from './api/console/console-server.js'
import { tierOf } from '../trust/tiers.js'
import { readRegularFile } from '../identity/regular-file.js'
import { createCredentialRenewalService, currentNodeCredential, CREDENTIALS_DEPENDENCIES } from './services/credentials/node-credential-renewal.js'

export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/7420']

export interface NodeConfig {
  dataDir: string
  listen?: string[]
  peers?: string[]
  mdns?: boolean
  passphrase?: string
  clock?: Clock
  logger?: Logger
  helloTimeoutMs?: number
  dialTimeoutMs?: number
  /** SPIFFE Workload API address; default SPIFFE_ENDPOINT_SOCKET; unset: no SPIFFE. */
  spiffeSocket?: string
  /** Settings that would otherwise come from the environment (see node/settings.ts). */
  settings?: GivenSettings
  /** The environment settings are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Tests: wrap the opened store (for example to make one sublevel fail). */
  wrapStore?: (store: Store) => Store
}

/** The node's services, for the operator API, tests and benchmarks. */
export interface NodeServices {
  audit: AuditNodeService
  delegation: DelegationService
  tasks: TasksService
  approvals: ApprovalsService
  trust: TrustNodeService
  sagas: SagasService
  metrics: MetricsService
}

export interface TrustmeshNode {
  readonly components: Components
  readonly services: NodeServices
  readonly policy: () => LocalPolicy
  start: () => Promise<void>
  stop: () => Promise<void>
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

/** Validate config before anything is opened; every problem is named. */
function validateConfig (config: NodeConfig): void {
  if (typeof config.dataDir !== 'string' || config.dataDir === '') throw new ConfigError('INVALID_CONFIG', 'dataDir is required')
  for (const a of config.listen ?? []) parseLanMultiaddr(a, '--listen')
  for (const a of config.peers ?? []) parseLanMultiaddr(a, '--peer')
}

function withSuccessors (records: string[]): { successors?: string[] } {
  return records.length > 0 ? { successors: records } : {}
}

export async function createNode (config: NodeConfig): Promise<TrustmeshNode> {
  validateConfig(config)
  const clock = config.clock ?? systemClock
  const logger = config.logger ?? createLogger('trustmesh')
  const layout = dataDirLayout(config.dataDir)
  const identity = await readIdentityFile(layout.identity, config.dataDir)
  let policy = await loadLocalPolicy(layout.policy)
  const swarmKey = parseSwarmKey(await readRegularFile(layout.swarmKey, { maxBytes: 4096 }).catch((err: { code?: string, message?: string }) => {
    if (err.code === 'NOT_REGULAR_FILE' || err.code === 'FILE_TOO_LARGE') throw new ConfigError(err.code, `swarm key: ${String(err.message)}`)
    throw new ConfigError('NO_SWARM_KEY', `no swarm key at ${layout.swarmKey}: a node only joins a private network (run trustmesh init)`)
  }), layout.swarmKey)
  const { passphrase } = await resolveNodePassphrase(layout, config.passphrase)
  const keys = openKeyStore(layout, passphrase)
  // the org key may live on a PKCS#11 token: any failure to open it stops the node (no fallback)
  const orgKey = new CurrentSigner(await loadSigner(layout, keys, identity.orgKey ?? ORG_KEY))
  const orgSigner = orgKey
  // the node key too may be on a token (libp2p then signs through it; its seed is never read); after a
  // node key rotation identity.json names the new key
  const nodeKey = await loadSigner(layout, keys, identity.nodeKey ?? NODE_KEY).catch(async (err: unknown) => { await orgKey.close(); throw err })
  const nodeSigner = nodeKey.signer
  const closeKeys = async (): Promise<void> => { await orgKey.close(); await nodeKey.close() }
  // the node's own saga coordinator service key (a service principal of the org, never an agent's key);
  // data dirs from before sagas get it at their first start
  const sagaSigner = await keys.has(SAGA_KEY) ? await keys.load(SAGA_KEY) : await keys.create(SAGA_KEY)
  if (nodeSigner.did !== identity.nodeDid) {
    await closeKeys()
    throw new ConfigError('KEY_MISMATCH', `node key ${nodeKey.location.where === 'pkcs11' ? `on token ${nodeKey.location.token}` : `in ${layout.keys}`} is ${nodeSigner.did}, not the node ${identity.nodeDid} of ${layout.identity}`)
  }
  if (orgSigner.did !== identity.orgDid) {
    await closeKeys()
    throw new ConfigError('KEY_MISMATCH', `org key ${orgKey.location.where === 'pkcs11' ? `on token ${orgKey.location.token}` : `in ${layout.keys}`} does not match ${layout.identity}`)
  }
  // agents hold their own keys: keys an older node kept for its agents are moved to agent key files, once
  await migrateNodeHeldAgentKeys(keys, layout, logger)

  const settings = resolveSettings({ ...config.settings, ...(config.spiffeSocket != null ? { spiffeSocket: config.spiffeSocket } : {}) }, config.env ?? process.env)

  const opened: Store = await openStore(layout.root, { logger: logger.child('store') }).catch(async (err: unknown) => { await closeKeys(); throw err })
  const store = config.wrapStore != null ? config.wrapStore(opened) : opened
  try {
    let nodeCredential = await currentNodeCredential({ layout, clock, logger, identity, orgSigner }, settings.credentials)
    const privateKey = nodeSigner instanceof Ed25519Signer
      ? await libp2pPrivateKeyFromSeed(nodeSigner.exportSeed())
      : libp2pPrivateKeyFromSigner(nodeSigner, nodeKey.location.where === 'pkcs11' ? `PKCS#11 token ${nodeKey.location.token}` : 'a key store')
    const components = new ComponentRegistry()
    // gossipsub's application-specific score reads trust when it scores, once the trust service exists
    const trustView = components.view('gossipsub peer score', ['trust'])
    const helloView = components.view('mesh', ['hello'])
    const enrolmentBook = new Enrolments(store.repository<Enrolment>(Sublevel.peers), identity.orgDid)
    await enrolmentBook.load()
    // partners' org key rotations are followed in hello and audited (the audit service comes later)
    const successorAudit = components.view('successors', ['audit'])
    const successors = new SuccessorBook({ repo: store.repository<StoredSuccessor>(Sublevel.successors), enrolments: enrolmentBook, clock, logger: logger.child('successors'), audit: () => successorAudit.audit })
    await successors.load()
    // partners' node PeerIds retired by their node key rotations (NodeCredential `replaces`)
    const retiredPeers = new RetiredPeers({ repo: store.repository<RetiredPeer>(Sublevel.retiredPeers), sameOrg: (a, b) => successors.current(a) === successors.current(b) })
    await retiredPeers.load()
    const registry = new PeerRegistry(clock)
    const listen = config.listen ?? DEFAULT_LISTEN
    const { libp2p, mesh, enrolments } = await buildMeshStack({
      privateKey,
      swarmKey,
      listen,
      orgDid: identity.orgDid,
      enrolments: enrolmentBook,
      successors: { follow: (did, records) => successors.follow(did, records), retiredAt: (did) => successors.retiredAt(did), current: (did) => successors.current(did) },
      retiredPeers: { check: (peerId, orgDid) => retiredPeers.check(peerId, orgDid), retire: async (orgDid, by, at, peerIds) => await retiredPeers.retire(orgDid, by, at, peerIds) },
      registry,
      clock,
      logger,
      datastore: new PeerCachedDatastore(store.bytesSublevel(Sublevel.libp2p) as never),
      mdns: config.mdns !== false,
      staticPeers: config.peers,
      helloTimeoutMs: config.helloTimeoutMs,
      dialTimeoutMs: config.dialTimeoutMs,
      appSpecificScore: peerScoreFor(registry, (org) => trustView.trust.trustOf(org)),
      verifySpiffe: (h, e, p) => helloView.hello.verifySpiffe(h, e, p),
      localHello: () => ({ v: 1 as const, nodeCredential, orgName: identity.orgName, software: SOFTWARE_VERSION, policyDigest: policy.digest, ...helloView.hello.fields(), ...withSuccessors(successors.chainTo(identity.orgDid)) })
    }).catch(async (err: unknown) => { throw isListenFailure(err) ? await describeListenFailure(err, listen) : err })
    const control = createControlServer({ socketPath: layout.controlSocket, logger: logger.child('control') })
    const dispatcher = createTaskDispatcher({ logger: logger.child('dispatch'), clock })
    const gossip = createRecordGossip({ libp2p, mesh, registry, store, logger: logger.child('gossip'), clock, limits: settings.gossipLimits, retiredAt: (did) => successors.retiredAt(did) })
    registerSuccessorTopic(gossip, successors)
    const agents = new AgentRegistry({ repo: store.repository<AgentRecord>(Sublevel.agents), orgSigner, clock })
    const holder: PolicyHolder = {
      get: () => policy,
      set: (p: LocalPolicy) => { policy = p }
    }
    const startedAt = clock.now()
    for (const [name, value] of Object.entries({ clock, logger, layout, identity, orgSigner, nodeSigner, sagaSigner, store, enrolments, registry, libp2p, mesh, gossip, control, dispatcher, agents, policy: holder, startedAt })) {
      components.set(name as keyof Components, value as never)
    }
    components.set('nodeCredential', () => nodeCredential)

    // services, each built from the components it declares; audit first: nothing is decided without it
    const view = <K extends keyof Components>(s: { name: string, deps: readonly K[] }): Pick<Components, K> => components.view(s.name, s.deps)
    const audit = await createAuditNodeService(view({ name: 'audit', deps: AUDIT_DEPENDENCIES }), { intervalMs: settings.auditIntervalMs })
    components.set('audit', audit.recorder)
    const spiffe = createSpiffeService(view({ name: 'spiffe', deps: SPIFFE_DEPENDENCIES }), { ...(settings.spiffeSocket != null ? { socket: settings.spiffeSocket } : {}) })
    components.set('hello', spiffe.hello)
    const delegation = createDelegationService(view({ name: 'delegation', deps: DELEGATION_DEPENDENCIES }), { maxTtlSeconds: settings.maxDelegationTtlSeconds, agentRenewBeforeMs: settings.agentRenewBeforeMs, succession: { retiredAt: (did) => successors.retiredAt(did), successorsOf: (did) => successors.successorsOf(did) }, ...(settings.revocationPruneIntervalMs != null ? { revocationPruneIntervalMs: settings.revocationPruneIntervalMs } : {}) })
    components.set('roots', delegation.roots)
    const approvals = createApprovalsService(view({ name: 'approvals', deps: APPROVALS_DEPENDENCIES }), { approvalDeadlineMs: settings.approvalDeadlineMs, ...(settings.approvalExpiryCheckMs != null ? { expiryCheckMs: settings.approvalExpiryCheckMs } : {}) })
    components.set('approvals', approvals.parking)
    components.set('carriedPolicies', approvals.carried)
    const metrics = createMetricsService(view({ name: 'metrics', deps: METRICS_DEPENDENCIES }))
    components.set('metrics', metrics.tasks)
    const tasks = createTasksService(view({ name: 'tasks', deps: TASKS_DEPENDENCIES }), delegation.parts, { elevations: approvals.elevations, ...(settings.taskTimeoutMs != null ? { taskTimeoutMs: settings.taskTimeoutMs } : {}) })
    components.set('parkedTasks', tasks.executor)
    const trust = createTrustService(view({ name: 'trust', deps: TRUST_DEPENDENCIES }), settings.trust, { currentOrg: (did) => successors.current(did) })
    components.set('trust', trust)
    const credentials = createCredentialRenewalService(view({ name: 'credentials', deps: CREDENTIALS_DEPENDENCIES }), { get: () => nodeCredential, set: (jwt) => { nodeCredential = jwt } }, settings.credentials)
    const sagas = createSagasService(view({ name: 'sagas', deps: SAGAS_DEPENDENCIES }), { delegation: delegation.parts, sender: tasks.sender, taskStatus: approvals.taskStatus }, settings.sagas)
    components.set('sagas', { byState: () => sagas.byState() })
    const services: Service[] = [audit, spiffe, delegation, approvals, metrics, tasks, trust, credentials, sagas]
    // every declared dependency must be there before anything starts
    components.check('mesh', ['hello'])
    components.check('successors', ['audit'])
    components.check('gossipsub peer score', ['trust'])
    for (const s of services) components.check(s.name, s.dependencies)

    const all = components.view('node', Object.keys({ clock, logger, layout, identity, orgSigner, nodeSigner, sagaSigner, store, enrolments, registry, libp2p, mesh, gossip, control, dispatcher, agents, policy: holder, startedAt, nodeCredential: 0, audit: 0, approvals: 0, parkedTasks: 0, carriedPolicies: 0, trust: 0, roots: 0, hello: 0, metrics: 0 }) as Array<keyof Components>)
    // local HTTP servers, each off unless its listen address is set (loopback by default)
    const metricsServer = settings.metricsListen == null
      ? undefined
      : createMetricsServer({ listen: settings.metricsListen, logger: logger.child('metrics'), scrape: metrics.scrape, health: () => ({ org: identity.orgDid, uptimeSeconds: Math.floor((clock.now() - startedAt) / 1000) }) })
    const consoleServer = settings.consoleListen == null
      ? undefined
      : createConsoleServer({
        listen: settings.consoleListen,
        logger: logger.child('console'),
        orgName: identity.orgName,
        queue: approvals.queue,
        peers: () => registry.peers().map(p => {
          const score = trust.trustOf(p.orgDid)
          return { orgName: p.orgName, orgDid: p.orgDid, peerId: p.peerId, since: p.connectedAt, ...(score != null ? { score, tier: tierOf(score) } : {}) }
        }),
        decisions: async (limit) => await tasks.tasks.list(limit)
      })
    const httpServers = [metricsServer, consoleServer].filter(<T>(x: T | undefined): x is T => x != null)
    const status = (): Record<string, unknown> => {
      const out: Record<string, unknown> = {}
      for (const s of services) if (s.status != null) out[s.name] = s.status()
      const m = metricsServer?.address()
      if (m != null) out.metricsListen = `${m.host}:${m.port}`
      const cs = consoleServer?.address()
      if (cs != null) out.consoleListen = `${cs.host}:${cs.port}`
      return out
    }
    registerOperatorRoutes(all, { audit, delegation, tasks, approvals, trust, sagas, status })
    // the agent API: a server and router of its own, every request signed by the calling agent's key
    const agentApi = createControlServer({
      socketPath: layout.agentSocket,
      logger: logger.child('agent-api'),
      label: 'agent',
      mode: settings.agentSocketMode,
      ...(settings.agentSocketGroup != null ? { gid: settings.agentSocketGroup } : {}),
      authenticate: createAgentAuthenticator({ agents, nodeDid: nodeSigner.did, clock, startedAt })
    })
    registerAgentRoutes(agentApi, all, { delegation, tasks, taskStatus: approvals.taskStatus, sagas })
    const rotation = createOrgKeyRotation({ ctx: all, keys, signer: orgKey, successors, credentials, roots: () => delegation.roots, publish: async (jwt) => { await gossip.publish(RecordTopics.successors, jwt) } })
    identityRoutes(control, { rotate: async (o) => await rotation.rotate(o), successors: () => successors.chainTo(identity.orgDid), rotateNodeKey: async (o) => await rotation.rotateNodeKey(o) })
    let started = false

    return {
      components: all,
      services: { audit, delegation, tasks, approvals, trust, metrics, sagas },
      policy: () => policy,
      async start () {
        if (started) return
        started = true
        await libp2p.start()
        await mesh.start()
        await gossip.start()
        await dispatcher.start?.()
        for (const s of services) await s.start()
        await control.start()
        await agentApi.start()
        for (const h of httpServers) await h.start()
        logger.info('node started', { org: identity.orgDid, name: identity.orgName, peerId: identity.peerId, listen: libp2p.getMultiaddrs().map(m => m.toString()), policy: policy.digest })
      },
      async stop () {
        if (!started) { await store.close(); await closeKeys(); return }
        started = false
        logger.info('node stopping')
        await agentApi.stop().catch(err => { logger.warn('agent API stop failed', { error: (err as Error).message }) })
        for (const h of [...httpServers].reverse()) await h.stop().catch(err => { logger.warn('http server stop failed', { error: (err as Error).message }) })
        await control.stop().catch(err => { logger.warn('control stop failed', { error: (err as Error).message }) })
        for (const s of [...services].reverse()) await s.stop().catch(err => { logger.warn('service stop failed', { service: s.name, error: (err as Error).message }) })
        await dispatcher.stop?.()
        await gossip.stop()
        await mesh.stop()
        await libp2p.stop()
        await store.close()
        await closeKeys()
        logger.info('node stopped')
      }
    }
  } catch (err) {
    await opened.close()
    await closeKeys()
    throw err
  }
}
