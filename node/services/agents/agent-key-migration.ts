/**
 * Data directories written before agents held their own keys kept each agent's key in the node's
 * encrypted key store (`keys/agent-<name>.key`). At start the node moves them out once: each key is
 * written to the agent's own key file `<data-dir>/agents/<name>.key` (PKCS#8, mode 0600; hand it to
 * the agent's OS user) and then deleted from the node's key store, so the node never holds it again.
 */
import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { KeyStore } from '../../../identity/keystore.js'
import { loadAgentKeyFile, writeAgentKeyFile, AgentKeyError } from '../../../identity/agent-key.js'
import type { Logger } from '../../../identity/logger.js'
import { agentKeyFile, type DataDirLayout } from '../../data-dir.js'

const LEGACY_PREFIX = 'agent-'

export class AgentKeyMigrationError extends Error {
  override readonly name = 'AgentKeyMigrationError'
  readonly code = 'AGENT_KEY_MIGRATION_FAILED'
}

/** Moves every node-held agent key to its agent key file; returns the files written or confirmed. */
export async function migrateNodeHeldAgentKeys (keys: KeyStore, layout: Pick<DataDirLayout, 'keys' | 'agentKeys'>, logger: Logger): Promise<string[]> {
  const moved: string[] = []
  for (const name of await keys.list()) {
    if (!name.startsWith(LEGACY_PREFIX)) continue
    const agentName = name.slice(LEGACY_PREFIX.length)
    const signer = await keys.load(name)
    const path = agentKeyFile(layout, agentName)
    try {
      await writeAgentKeyFile(path, signer.exportSeed())
    } catch (err) {
      if (!(err instanceof AgentKeyError && err.code === 'AGENT_KEY_EXISTS')) throw err
      // a crash after writing the file and before deleting the stored key: the file must hold the same key
      const existing = await loadAgentKeyFile(path).catch(() => undefined)
      if (existing?.did !== signer.did) throw new AgentKeyMigrationError(`cannot move agent ${agentName}'s key out of the node: ${path} exists and holds another key; move it away and start again`)
    }
    await unlink(join(layout.keys, `${name}.key`))
    logger.warn('agent key moved out of the node key store', { agent: agentName, did: signer.did, file: path })
    moved.push(path)
  }
  return moved
}
