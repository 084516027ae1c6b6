/** `trustmesh saga cancel ID`: stop a running saga; its completed steps are compensated in reverse. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { fields } from '../../output.js'
import { call } from '../../node-client.js'
import type { SagaView } from './format.js'

export function register (saga: Command): void {
  saga.command('cancel')
    .description('cancel a saga: no further step starts and the completed ones are undone')
    .argument('<id>', 'saga id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const s = await call<SagaView>(dataDir, 'POST', `/v1/sagas/${encodeURIComponent(id)}/cancel`, {})
      out.result(s, () => fields([['saga', s.id], ['state', s.state], ['cancel', 'requested: completed steps are compensated']]))
    })
}
