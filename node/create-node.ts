/**
 * The composition root: validates config, loads keys, opens the store, loads the policy, builds
 * libp2p and the mesh, the control API and every feature, and starts them in order (stopping them in
 * reverse). Nothing else constructs long-lived state.
 */
import { readFile, writeFile, chmod } from 'node:fs/promises'
import { LevelDatastore } from 'datastore-level'
import { systemClock, nowSeconds, type Clock } from '../identity/clock.js'
import { createLogger, type Logger } from '../identity/logger.js'
import { dataDirLayout, NODE_KEY, ORG_KEY } from './data-dir.js'
import { readIdentityFile } from './identity-file.js'
import { openKeyStore, resolveNodePassphrase, NODE_CREDENTIAL_TTL_SECONDS } from './init-org.js'
import { openStore, type Store } from './store/index.js'
import { SUBLEVELS as Sublevel } from './store/sublevels.js'
import { parseSwarmKey, mdnsServiceTag } from './libp2p/swarm-key.js'
import { parseLanMultiaddr } from './libp2p/lan-only.js'
import { createMeshLibp2p } from './libp2p/create-libp2p.js'
import { libp2pPrivateKeyFromSeed } from '../identity/peer-id.js'
import { issueNodeCredential, verifyNodeCredential } from '../identity/credentials.js'
import { Enrolments, type Enrolment } from './mesh/enrolments.js'
import { PeerRegistry } from './mesh/peer-registry.js'
import { Mesh, createConnectionGater } from './mesh/mesh.js'
import { createControlServer } from './api/control-server.js'
import { createTaskDispatcher } from './services/tasks/task-dispatcher.js'
import { loadLocalPolicy, type LocalPolicy } from './local-policy.js'
import type { Feature, FeatureFactory, NodeContext, NodeHooks } from './node-context.js'
import { peerScoreFor } from './gossip/peer-score.js'
import { coreRoutes } from './api/operator/core-routes.js'
import { createRecordGossip } from './gossip/index.js'
import { AgentRegistry, type AgentRecord } from './services/agents/agent-registry.js'
import { defaultFeatures } from './features.js'
import { SOFTWARE_VERSION } from './version.js'
import type { HelloMessage } from '../protocols/hello/messages.js'
import type { VerifyHelloOptions } from './mesh/verify-hello.js'
import { fail } from '../identity/result.js'

export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/7420']
/** Renew the NodeCredential at start when it has less than this left. */
const CREDENTIAL_RENEW_BEFORE_S = 7 * 24 * 3600

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
  /** Extra features (tests); default: defaultFeatures. */
  features?: FeatureFactory[]
}

export interface TrustmeshNode {
  readonly ctx: NodeContext
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

async function currentNodeCredential (ctx: { layout: ReturnType<typeof dataDirLayout>, clock: Clock, logger: Logger }, orgSigner: NodeContext['orgSigner'], identity: NodeContext['identity']): Promise<string> {
  let jwt = (await readFile(ctx.layout.nodeCredential, 'utf8').catch(() => '')).trim()
  const v = verifyNodeCredential(jwt, { clock: ctx.clock, expectedIssuer: identity.orgDid })
  const fresh = v.ok && v.value.subject.id === identity.peerId && v.value.expiresAt - nowSeconds(ctx.clock) > CREDENTIAL_RENEW_BEFORE_S
  if (!fresh) {
    jwt = await issueNodeCredential(orgSigner, { peerId: identity.peerId, orgName: identity.orgName }, { clock: ctx.clock, ttlSeconds: NODE_CREDENTIAL_TTL_SECONDS })
    await writeFile(ctx.layout.nodeCredential, jwt + '\n', { mode: 0o600 })
    await chmod(ctx.layout.nodeCredential, 0o600)
    ctx.logger.info('NodeCredential renewed', { reason: v.ok ? 'near expiry' : v.error.code })
  }
  return jwt
}

export async function createNode (config: NodeConfig): Promise<TrustmeshNode> {
  validateConfig(config)
  const clock = config.clock ?? systemClock
  const logger = config.logger ?? createLogger('trustmesh')
  const layout = dataDirLayout(config.dataDir)
  const identity = await readIdentityFile(layout.identity, config.dataDir)
  let policy = loadLocalPolicy(layout.policy)
  const swarmKey = parseSwarmKey(await readFile(layout.swarmKey, 'utf8').catch(() => {
    throw new ConfigError('NO_SWARM_KEY', `no swarm key at ${layout.swarmKey}: a node only joins a private network (run trustmesh init)`)
  }), layout.swarmKey)
  const { passphrase } = await resolveNodePassphrase(layout, config.passphrase)
  const keys = openKeyStore(layout, passphrase)
  const orgSigner = await keys.load(ORG_KEY)
  const nodeSigner = await keys.load(NODE_KEY)
  if (orgSigner.did !== identity.orgDid) throw new ConfigError('KEY_MISMATCH', `org key in ${layout.keys} does not match ${layout.identity}`)

  const store: Store = await openStore(layout.root, { logger: logger.child('store') })
  try {
    let nodeCredential = await currentNodeCredential({ layout, clock, logger }, orgSigner, identity)
    const enrolments = new Enrolments(store.repository<Enrolment>(Sublevel.peers), identity.orgDid)
    await enrolments.load()
    const registry = new PeerRegistry(clock)
    const privateKey = await libp2pPrivateKeyFromSeed(nodeSigner.exportSeed())
    // gossipsub's application-specific score reads the trust a feature sets in hooks.trustOf (late-bound)
    const hooks: NodeHooks = { agentCreated: [], beforeDecision: [], receipt: [] }
    const libp2p = await createMeshLibp2p({
      privateKey,
      swarmKey,
      listen: config.listen ?? DEFAULT_LISTEN,
      datastore: new LevelDatastore(store.bytesSublevel(Sublevel.libp2p) as never),
      connectionGater: createConnectionGater(registry),
      mdns: config.mdns === false ? undefined : { serviceTag: mdnsServiceTag(swarmKey) },
      dialTimeoutMs: config.dialTimeoutMs,
      appSpecificScore: peerScoreFor(registry, (org) => hooks.trustOf?.(org)),
      allow: ['/ip4/127.0.0.0/ipcidr/8']
    })
    const statusProviders = new Map<string, () => unknown>()
    const helloExtensions: Array<() => Partial<HelloMessage>> = []
    let verifySpiffe: NonNullable<VerifyHelloOptions['verifySpiffe']> | undefined
    const mesh = new Mesh({
      libp2p,
      registry,
      enrolments,
      clock,
      logger: logger.child('mesh'),
      staticPeers: config.peers,
      helloTimeoutMs: config.helloTimeoutMs,
      dialTimeoutMs: config.dialTimeoutMs,
      // a partner enrolled with a SPIFFE bundle is refused unless SPIFFE verification is wired in
      verifySpiffe: (h, e, p) => verifySpiffe != null ? verifySpiffe(h, e, p) : fail('SPIFFE_UNAVAILABLE', 'this node cannot verify SPIFFE SVIDs'),
      localHello: () => Object.assign({ v: 1 as const, nodeCredential, orgName: identity.orgName, software: SOFTWARE_VERSION, policyDigest: policy.digest }, ...helloExtensions.map(f => f()))
    })
    const control = createControlServer({ socketPath: layout.controlSocket, logger: logger.child('control') })
    const dispatcher = createTaskDispatcher({ logger: logger.child('dispatch'), clock })
    const gossip = createRecordGossip({ libp2p, mesh, registry, store, logger: logger.child('gossip'), clock })
    const agents = new AgentRegistry({ repo: store.repository<AgentRecord>(Sublevel.agents), keys, orgSigner, clock })
    const holder = {
      get: () => policy,
      set: (p: LocalPolicy) => { policy = p }
    }
    const ctx: NodeContext = {
      clock, logger, layout, identity, orgSigner, nodeSigner, keys, store, enrolments, registry, libp2p, mesh, control, dispatcher, agents, gossip,
      policy: holder,
      settings: { spiffeSocket: config.spiffeSocket ?? process.env.SPIFFE_ENDPOINT_SOCKET },
      hello: { extensions: helloExtensions, setVerifySpiffe: (fn) => { verifySpiffe = fn } },
      hooks,
      nodeCredential: () => nodeCredential,
      startedAt: clock.now(),
      statusProviders
    }
    coreRoutes(ctx, holder)
    dispatcher.registerRoutes(control)
    const features: Feature[] = []
    for (const f of config.features ?? defaultFeatures) features.push(await f(ctx))
    let started = false

    return {
      ctx,
      policy: () => policy,
      async start () {
        if (started) return
        started = true
        await libp2p.start()
        await mesh.start()
        await gossip.start()
        await dispatcher.start?.()
        for (const f of features) await f.start?.()
        await control.start()
        logger.info('node started', { org: identity.orgDid, name: identity.orgName, peerId: identity.peerId, listen: libp2p.getMultiaddrs().map(m => m.toString()), policy: policy.digest })
      },
      async stop () {
        if (!started) { await store.close(); return }
        started = false
        logger.info('node stopping')
        await control.stop().catch(err => { logger.warn('control stop failed', { error: (err as Error).message }) })
        for (const f of [...features].reverse()) await f.stop?.().catch(err => { logger.warn('feature stop failed', { feature: f.name, error: (err as Error).message }) })
        await dispatcher.stop?.()
        await gossip.stop()
        await mesh.stop()
        await libp2p.stop()
        await store.close()
        logger.info('node stopped')
      }
    }
  } catch (err) {
    await store.close()
    throw err
  }
}
