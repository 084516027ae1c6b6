/** `trustmesh saga list`: sagas this node coordinates, oldest first; stuck ones wait for an operator. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { table } from '../../output.js'
import { call } from '../../node-client.js'
import type { SagaView } from './format.js'

export function register (saga: Command): void {
  saga.command('list')
    .description('list sagas and their state')
    .action(async (_opts: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const rows = await call<SagaView[]>(dataDir, 'GET', '/v1/sagas')
      out.result(rows, () => rows.length === 0
        ? 'no sagas'
        : table(['id', 'name', 'state', 'as', 'steps', 'failed at', 'created'], rows.map(r => [
          r.id, r.name ?? '', r.state, r.invoker, r.steps.map(s => `${s.id}:${s.state}`).join(' '), r.failure != null ? `${r.failure.step} ${r.failure.code}` : '', new Date(r.createdAt).toISOString()
        ])))
    })
}
