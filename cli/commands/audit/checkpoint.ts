/** `trustmesh audit checkpoint`: sign a checkpoint now and ask connected peers to cosign it. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'

interface Reply { checkpoint: string, outcomes: Array<{ did: string, ok: boolean, code?: string, message?: string }> }

export function register (audit: Command): void {
  audit.command('checkpoint')
    .description('sign a checkpoint of the audit log now and ask connected peers to cosign it')
    .action(async (_o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const r = await call<Reply>(dataDir, 'POST', '/v1/audit/checkpoint', {}, 30_000)
      out.result(r, () => r.checkpoint + (r.outcomes.length > 0 ? '\n' + r.outcomes.map(o => `${o.ok ? 'cosigned' : 'refused '} ${o.did}${o.ok ? '' : `: ${o.code ?? ''} ${o.message ?? ''}`}`).join('\n') : ''))
    })
}
