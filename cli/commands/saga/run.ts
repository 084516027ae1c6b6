/**
 * `trustmesh saga run FILE --as AGENT [--key FILE]`: submit a saga document as one local agent, which
 * needs that agent's key (default: the key file `agent create` wrote): the CLI gets the plan from the
 * node, signs one delegation a step from the agent to the node's coordinator, and submits them with
 * the document. Waits until the saga ends unless --no-wait.
 */
import type { Command } from 'commander'
import { loadAgentKeyFile } from '../../../identity/agent-key.js'
import { signSagaGrants } from '../../../client/saga-grants.js'
import type { SagaPlan } from '../../../protocols/control/saga.js'
import { agentKeyFile, dataDirLayout } from '../../../node/data-dir.js'
import { contextOf } from '../../context.js'
import { EXIT_FAILED, UsageError } from '../../output.js'
import { call } from '../../node-client.js'
import { formatSaga, TERMINAL, type SagaView } from './format.js'
import { readRegularFile } from '../../../identity/regular-file.js'

export function register (saga: Command): void {
  saga.command('run')
    .description('run a saga: steps across organisations, each undone in reverse if a later one fails')
    .argument('<file>', 'saga document (YAML or JSON)')
    .requiredOption('--as <agent>', 'local agent that runs it (name or DID); it delegates the steps to the coordinator')
    .option('--key <file>', 'that agent\'s key file (default <data-dir>/agents/<agent>.key)')
    .option('--no-wait', 'print the saga id and return at once')
    .option('--timeout <ms>', 'how long to wait for the saga to end', '600000')
    .action(async (file: string, opts: { as: string, key?: string, wait: boolean, timeout: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const document = await readRegularFile(file).catch((err: Error) => { throw new UsageError(`cannot read ${file}: ${err.message}`) })
      const timeoutMs = Number(opts.timeout)
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError('--timeout must be a positive number of milliseconds')
      const keyFile = opts.key ?? (opts.as.startsWith('did:') ? undefined : agentKeyFile(dataDirLayout(dataDir), opts.as))
      if (keyFile == null) throw new UsageError(`running a saga as ${opts.as} needs its key: --key FILE`)
      const signer = await loadAgentKeyFile(keyFile)
      const plan = await call<SagaPlan>(dataDir, 'POST', '/v1/sagas/plan', { as: opts.as, document })
      if (plan.invoker !== signer.did) throw Object.assign(new Error(`the key ${keyFile} is ${signer.did}, not ${opts.as} (${plan.invoker})`), { code: 'WRONG_KEY' })
      // the agent's own delegations to the coordinator, signed here with its key (the node never holds it)
      const delegations = await signSagaGrants(signer, plan)
      let s = await call<SagaView>(dataDir, 'POST', '/v1/sagas', { as: opts.as, document, delegations })
      const until = Date.now() + timeoutMs
      while (opts.wait && !TERMINAL.includes(s.state) && Date.now() < until) {
        await new Promise(resolve => setTimeout(resolve, 200))
        s = await call<SagaView>(dataDir, 'GET', `/v1/sagas/${encodeURIComponent(s.id)}`)
      }
      out.result(s, () => formatSaga(s))
      if (opts.wait && s.state !== 'completed') process.exitCode = EXIT_FAILED
    })
}
