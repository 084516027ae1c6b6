/** `trustmesh agent keygen --out FILE`: a new agent key in a file of mode 0600; prints its DID. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { generateAgentKeyFile, AGENT_PASSPHRASE_ENV } from '../../../identity/agent-key.js'
import { UsageError } from '../../output.js'

export function register (agent: Command): void {
  agent.command('keygen')
    .description('generate an agent key (PKCS#8 PEM, mode 0600) and print its DID; the key stays with the agent')
    .requiredOption('--out <file>', 'key file to write (never overwritten)')
    .option('--encrypt', `encrypt the key with the passphrase in ${AGENT_PASSPHRASE_ENV} (the agent then needs it to start)`)
    .action(async (opts: { out: string, encrypt?: boolean }, cmd: Command) => {
      const { out } = contextOf(cmd)
      const passphrase = opts.encrypt === true ? process.env[AGENT_PASSPHRASE_ENV] : undefined
      if (opts.encrypt === true && (passphrase == null || passphrase === '')) throw new UsageError(`--encrypt needs the passphrase in ${AGENT_PASSPHRASE_ENV}`)
      const signer = await generateAgentKeyFile(opts.out, { ...(passphrase != null ? { passphrase } : {}) })
      out.result({ did: signer.did, keyFile: opts.out, encrypted: passphrase != null }, () => signer.did)
    })
}
