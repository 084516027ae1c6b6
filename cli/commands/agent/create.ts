/**
 * `trustmesh agent create <name>`: registers an agent by its DID and gets it an AgentCredential (ring,
 * capabilities, expiry) and the org's root delegation. The node never sees the agent's key: with
 * --did the key was made elsewhere (`agent keygen`); without, the CLI generates it and writes it to
 * --key-out (default <data-dir>/agents/<name>.key, mode 0600), sending only the DID.
 */
import type { Command } from 'commander'
import { existsSync } from 'node:fs'
import { contextOf, collect, intOption, parseDuration } from '../../context.js'
import { fields, UsageError } from '../../output.js'
import { call } from '../../node-client.js'
import { generateAgentKeyFile } from '../../../identity/agent-key.js'
import { isDidKey } from '../../../identity/did-key.js'
import { agentKeyFile, dataDirLayout } from '../../../node/data-dir.js'

export interface AgentView { name: string, did: string, ring: number, capabilities: string[], expiresAt: string, accepted: boolean, credential: string, keyFile?: string }

export function register (agent: Command): void {
  agent.command('create <name>')
    .description('register a local agent: its DID (key generated here unless --did), an AgentCredential and the org\'s root delegation')
    .requiredOption('--ring <n>', 'privilege ring 1 (high impact), 2 (writes) or 3 (read-only)', intOption('--ring', 0, 3))
    .option('--can <ability>', 'ability the agent holds on this org\'s resources, repeatable', collect, [])
    .option('--ttl <duration>', 'credential lifetime, e.g. 30d', '30d')
    .option('--did <did>', 'the agent\'s did:key (its key made with `trustmesh agent keygen`)')
    .option('--key-out <file>', 'where to write the generated key (without --did); default <data-dir>/agents/<name>.key')
    .action(async (name: string, opts: { ring: number, can: string[], ttl: string, did?: string, keyOut?: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      if (opts.can.length === 0) throw new UsageError('agent create needs at least one --can <ability>')
      if (opts.did != null && opts.keyOut != null) throw new UsageError('--key-out is for a key generated here; with --did the key already exists')
      if (opts.did != null && !isDidKey(opts.did)) throw new UsageError(`--did ${opts.did} is not an Ed25519 did:key`)
      let ttlSeconds: number
      try { ttlSeconds = parseDuration(opts.ttl) } catch (err) { throw new UsageError((err as Error).message) }
      let did = opts.did
      let keyFile: string | undefined
      if (did == null) {
        keyFile = opts.keyOut ?? agentKeyFile(dataDirLayout(dataDir), name)
        if (existsSync(keyFile)) throw new UsageError(`${keyFile} already exists: pass its agent's DID with --did, or another --key-out`)
        did = (await generateAgentKeyFile(keyFile)).did
      }
      const a = { ...await call<AgentView>(dataDir, 'POST', '/v1/agents', { name, did, ring: opts.ring, capabilities: opts.can, ttlSeconds }), ...(keyFile != null ? { keyFile } : {}) }
      out.result(a, () => fields([['agent', a.name], ['DID', a.did], ['ring', a.ring], ['can', a.capabilities.join(', ')], ['expires', a.expiresAt], ...(keyFile != null ? [['key file', keyFile]] as Array<[string, unknown]> : [])]))
    })
}
