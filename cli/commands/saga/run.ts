/** `trustmesh saga run FILE --as AGENT`: submit a saga document; waits until it ends unless --no-wait. */
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { EXIT_FAILED, UsageError } from '../../output.js'
import { call } from '../../node-client.js'
import { formatSaga, TERMINAL, type SagaView } from './format.js'

export function register (saga: Command): void {
  saga.command('run')
    .description('run a saga: steps across organisations, each undone in reverse if a later one fails')
    .argument('<file>', 'saga document (YAML or JSON)')
    .requiredOption('--as <agent>', 'local agent that runs it (name or DID); it delegates the steps to the coordinator')
    .option('--no-wait', 'print the saga id and return at once')
    .option('--timeout <ms>', 'how long to wait for the saga to end', '600000')
    .action(async (file: string, opts: { as: string, wait: boolean, timeout: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const document = await readFile(file, 'utf8').catch((err: Error) => { throw new UsageError(`cannot read ${file}: ${err.message}`) })
      const timeoutMs = Number(opts.timeout)
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError('--timeout must be a positive number of milliseconds')
      let s = await call<SagaView>(dataDir, 'POST', '/v1/sagas', { as: opts.as, document })
      const until = Date.now() + timeoutMs
      while (opts.wait && !TERMINAL.includes(s.state) && Date.now() < until) {
        await new Promise(resolve => setTimeout(resolve, 200))
        s = await call<SagaView>(dataDir, 'GET', `/v1/sagas/${encodeURIComponent(s.id)}`)
      }
      out.result(s, () => formatSaga(s))
      if (opts.wait && s.state !== 'completed') process.exitCode = EXIT_FAILED
    })
}
