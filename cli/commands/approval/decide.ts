/** `trustmesh approval approve|deny <id>`: decide a parked task with a signed approval (one use). */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { EXIT_FAILED, fields, UsageError } from '../../output.js'
import { call } from '../../node-client.js'
import { readRegularFile } from '../../../identity/regular-file.js'

interface Decided { id: string, state: string, task: string, outcome?: string, code?: string, resultReason?: string, output?: unknown, decidedBy?: string }

function verb (name: 'approve' | 'deny', description: string) {
  return (approval: Command): void => {
    approval.command(`${name} <id>`)
      .description(description)
      .option('--token <file>', 'an approval JWT signed by another enrolled approver key (default: the org key signs)')
      .action(async (id: string, opts: { token?: string }, cmd: Command) => {
        const { dataDir, out } = contextOf(cmd)
        let token: string | undefined
        if (opts.token != null) {
          try { token = (await readRegularFile(opts.token)).trim() } catch (err) { throw new UsageError(`--token: ${(err as Error).message}`) }
        }
        const r = await call<Decided>(dataDir, 'POST', `/v1/approvals/${encodeURIComponent(id)}/${name}`, token != null ? { token } : {}, 60_000)
        out.result(r, () => fields([['approval', r.id], ['task', r.task], ['state', r.state], ['by', r.decidedBy], ['outcome', r.outcome], ['code', r.code], ['reason', r.resultReason], ...(r.output !== undefined ? [['output', r.output]] as Array<[string, unknown]> : [])]))
        if (name === 'approve' && r.outcome !== 'ok') process.exitCode = EXIT_FAILED
      })
  }
}

export const registerApprove = verb('approve', 'approve a parked task: it runs now (checked again) and its requester can see the outcome')
export const registerDeny = verb('deny', 'deny a parked task')
