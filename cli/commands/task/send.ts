/**
 * `trustmesh task send --as <agent> [--key FILE]`: the operator invokes a capability as one local agent,
 * which needs that agent's key (default: the key file `agent create` wrote); prints the outcome and receipt.
 */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { EXIT_FAILED, fields, UsageError } from '../../output.js'
import { agentAs } from '../../node-client.js'

interface SendResult { id: string, targetOrg: string, outcome: string, code: string, reason?: string, output?: unknown, receipt?: string, approvalId?: string, link?: number }

export function register (task: Command): void {
  task.command('send')
    .description('send a task: a fresh invocation under a delegation, checked again by the target node')
    .requiredOption('--as <agent>', 'local agent that invokes (name or DID)')
    .option('--key <file>', 'that agent\'s key file (default <data-dir>/agents/<agent>.key)')
    .requiredOption('--to <did>', 'agent DID that should run it')
    .requiredOption('--can <ability>', 'ability, e.g. records/read')
    .requiredOption('--with <resource>', 'resource URI')
    .option('--args <json>', 'task arguments as JSON')
    .option('--proof <cid>', 'delegation to use (default: the newest that grants it)')
    .option('--timeout <ms>', 'how long to wait for the answer', '30000')
    .action(async (opts: { as: string, key?: string, to: string, can: string, with: string, args?: string, proof?: string, timeout: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      let args: unknown
      if (opts.args != null) {
        try { args = JSON.parse(opts.args) } catch { throw new UsageError('--args must be valid JSON') }
      }
      const timeoutMs = Number(opts.timeout)
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError('--timeout must be a positive number of milliseconds')
      const agent = await agentAs(dataDir, opts.as, opts.key)
      const r: SendResult = await agent.send({ to: opts.to, ability: opts.can, resource: opts.with, args, ...(opts.proof != null ? { proof: opts.proof } : {}), timeoutMs })
      await agent.close()
      out.result(r, () => fields([
        ['task', r.id], ['outcome', r.outcome], ['code', r.code], ...(r.reason != null && r.outcome !== 'ok' ? [['reason', r.reason]] as Array<[string, unknown]> : []),
        ...(r.link != null ? [['link', r.link]] as Array<[string, unknown]> : []),
        ...(r.approvalId != null ? [['approval', r.approvalId]] as Array<[string, unknown]> : []),
        ...(r.output !== undefined ? [['output', r.output]] as Array<[string, unknown]> : []),
        ['receipt', r.receipt ?? '-']
      ]))
      if (r.outcome === 'denied' || r.outcome === 'error') process.exitCode = EXIT_FAILED
    })
}
