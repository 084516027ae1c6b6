/**
 * `trustmesh approval approve|deny <id> --key FILE --reason TEXT`: decide a parked task as a named
 * approver. The CLI signs the approval (task, decision, justification) with the approver's own key;
 * the node verifies it and spends it once. `--token FILE` sends an approval JWT signed elsewhere.
 */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { EXIT_FAILED, fields, UsageError } from '../../output.js'
import { call } from '../../node-client.js'
import { readApproverKey } from '../../approver-key.js'
import { issueApproval } from '../../../authz/index.js'
import { systemClock } from '../../../identity/clock.js'
import { readRegularFile } from '../../../identity/regular-file.js'

interface Decided { id: string, state: string, task: string, outcome?: string, code?: string, resultReason?: string, output?: unknown, decidedBy?: string, required?: { count: number }, approvals?: unknown[] }

/** A signed approval is used at once; it need not live long. */
const APPROVAL_TTL_S = 300

function verb (name: 'approve' | 'deny', description: string) {
  return (approval: Command): void => {
    approval.command(`${name} <id>`)
      .description(description)
      .option('--key <file>', 'the approver\'s own key file (trustmesh approval keygen)')
      .option('--reason <text>', 'the justification (signed with the decision, kept in the audit log)')
      .option('--token <file>', 'instead of --key: an approval JWT signed elsewhere')
      .action(async (id: string, opts: { key?: string, reason?: string, token?: string }, cmd: Command) => {
        const { dataDir, out } = contextOf(cmd)
        let token: string
        if (opts.token != null) {
          try { token = (await readRegularFile(opts.token)).trim() } catch (err) { throw new UsageError(`--token: ${(err as Error).message}`) }
        } else {
          if (opts.key == null) throw new UsageError(`approval ${name} needs --key FILE (the approver's own key) and --reason TEXT`)
          if (opts.reason == null || opts.reason.trim() === '') throw new UsageError('--reason: a justification is required')
          const signer = await readApproverKey(opts.key)
          const parked = await call<{ task: string }>(dataDir, 'GET', `/v1/approvals/${encodeURIComponent(id)}`)
          token = await issueApproval(signer, { taskId: parked.task, decision: name, ttlSeconds: APPROVAL_TTL_S, reason: opts.reason.trim() }, systemClock)
        }
        const r = await call<Decided>(dataDir, 'POST', `/v1/approvals/${encodeURIComponent(id)}/${name}`, { token }, 60_000)
        const waiting = r.state === 'pending' ? `${r.approvals?.length ?? 0} of ${r.required?.count ?? 1} approvals` : undefined
        out.result(r, () => fields([['approval', r.id], ['task', r.task], ['state', waiting != null ? `pending (${waiting})` : r.state], ['by', r.decidedBy], ['outcome', r.outcome], ['code', r.code], ['reason', r.resultReason], ...(r.output !== undefined ? [['output', r.output]] as Array<[string, unknown]> : [])]))
        if (name === 'approve' && r.state !== 'pending' && r.outcome !== 'ok') process.exitCode = EXIT_FAILED
      })
  }
}

export const registerApprove = verb('approve', 'approve a parked task as a named approver: it runs once enough approvers agree (checked again)')
export const registerDeny = verb('deny', 'deny a parked task as a named approver')
