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
    pidFile: join(root, 'node.pid'),
    config: join(root, 'config.yaml')
  }
}

/** Key names in the org's key store. */
export const ORG_KEY = 'org'
export const NODE_KEY = 'node'
export function agentKeyName (agentName: string): string {
  return `agent-${agentName}`
}
