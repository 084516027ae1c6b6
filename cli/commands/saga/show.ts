/** `trustmesh saga show ID`: a saga's steps and its timeline, each hop with its outcome and reason code. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'
import { formatSaga, type SagaView } from './format.js'

export function register (saga: Command): void {
  saga.command('show')
    .description('show a saga: steps, undo grants, compensations and the timeline')
    .argument('<id>', 'saga id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const s = await call<SagaView>(dataDir, 'GET', `/v1/sagas/${encodeURIComponent(id)}`)
      out.result(s, () => formatSaga(s))
    })
}
