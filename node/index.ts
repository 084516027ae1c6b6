/**
 * The package's main export (`import('trustmesh')`): build and run a node in-process. Agents use
 * `trustmesh/client`; the `trustmesh` command wraps this.
 */
export { createNode, ConfigError, DEFAULT_LISTEN } from './create-node.js'
export type { NodeConfig, NodeServices, TrustmeshNode } from './create-node.js'
export { resolveSettings } from './settings.js'
export type { NodeSettings } from './settings.js'
export { dataDirLayout, DEFAULT_DATA_DIR } from './data-dir.js'
