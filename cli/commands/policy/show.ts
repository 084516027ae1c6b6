/** `trustmesh policy show [--effective]`: the node's policy as loaded, or its effective levels. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'

interface Level { level: number, file: string, name: string, default: string, rings: Record<string, number>, rules: Array<{ id: string, effect: string, match: unknown, reason?: string }> }
interface Shown { digest: string, file: string, text?: string, levels: Array<string | Level> }

export function register (policy: Command): void {
  policy.command('show')
    .description('show the node\'s policy (the file as loaded, or with --effective every level, parents first)')
    .option('--effective', 'the effective policy: every level with its rings, rules and default')
    .action(async (opts: { effective?: boolean }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const r = await call<Shown>(dataDir, 'GET', `/v1/policy${opts.effective === true ? '?effective=1' : ''}`)
      out.result(r, () => {
        const head = `policy ${r.digest}\nfile   ${r.file}`
        if (opts.effective !== true) return `${head}\n\n${r.text ?? '(file not readable)'}`
        return [head, ...(r.levels as Level[]).map(l => [
          `\nlevel ${l.level}: ${l.name} (${l.file}), default ${l.default}`,
          '  rings: ' + (Object.entries(l.rings).map(([a, n]) => `${a}=${n}`).join(', ') || '-'),
          ...l.rules.map(x => `  rule ${x.id}: ${x.effect} when ${JSON.stringify(x.match)}${x.reason != null ? ` (${x.reason})` : ''}`)
        ].join('\n'))].join('\n')
      })
    })
}
