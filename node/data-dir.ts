/**
 * Layout of a node's data directory: one per organisation. Everything a node owns lives here:
 * encrypted keys, the swarm key, the policy, the LevelDB store and the control socket.
 */
import { join, resolve } from 'node:path'

export const DEFAULT_DATA_DIR = '.trustmesh'

export interface DataDirLayout {
  root: string
  identity: string
  keys: string
  passphrase: string
  swarmKey: string
  policy: string
  nodeCredential: string
  db: string
  controlSocket: string
  /** The agent API's socket (node/api/agent/). */
  agentSocket: string
  /** Where the CLI writes the key files of agents it generates (the agents' own files, never read by the node). */
  agentKeys: string
  pidFile: string
  /** What `node start` flags set (flags override). */
  config: string
}

export function dataDirLayout (dataDir: string = DEFAULT_DATA_DIR): DataDirLayout {
  const root = resolve(dataDir)
  return {
    root,
    identity: join(root, 'identity.json'),
    keys: join(root, 'keys'),
    passphrase: join(root, 'passphrase'),
    swarmKey: join(root, 'swarm.key'),
    policy: join(root, 'policy.yaml'),
    nodeCredential: join(root, 'node-credential.jwt'),
    db: join(root, 'db'),
    controlSocket: join(root, 'control.sock'),
    agentSocket: join(root, 'agent.sock'),
    agentKeys: join(root, 'agents'),
    pidFile: join(root, 'node.pid'),
    config: join(root, 'config.yaml')
  }
}

/** Key names in the org's key store. */
export const ORG_KEY = 'org'
export const NODE_KEY = 'node'
/**
 * The node's own saga coordinator service key: the identity this node coordinates sagas and grants
 * undo as (a service principal of the org, with an AgentCredential). It is the node's key, like the
 * org and node keys, never an agent's: agents hold their own keys (DESIGN.md section 2).
 */
export const SAGA_KEY = 'saga'
/** Name an agent key had in the node's key store before agents held their own keys (migrated at start). */
export function legacyAgentKeyName (agentName: string): string {
  return `agent-${agentName}`
}

/** Default key file of an agent whose key the CLI generated. */
export function agentKeyFile (layout: Pick<DataDirLayout, 'agentKeys'>, agentName: string): string {
  return join(layout.agentKeys, `${agentName}.key`)
}
