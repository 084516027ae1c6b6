/** `trustmesh policy load <file>`: replace the node's policy; refused (exit 1) if broken or loosening. */
import type { Command } from 'commander'
import { resolve } from 'node:path'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'

export function register (policy: Command): void {
  policy.command('load <file>')
    .description('load a policy file (parents via extends); a broken policy or a child that loosens a parent is refused')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const r = await call<{ digest: string, previous: string, levels: Array<{ file: string }> }>(dataDir, 'POST', '/v1/policy/load', { file: resolve(file) })
      out.result(r, () => `policy ${r.digest} in effect (was ${r.previous})\nlevels: ${r.levels.map(l => l.file).join(' <- ')}`)
      out.note('it applies until the node restarts; the node starts with policy.yaml in its data directory')
    })
}
