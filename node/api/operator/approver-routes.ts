/**
 * Control API routes for named approvers: add (name, DID, optional role), remove, list. Each change
 * is audited before it takes effect: who may approve is itself a decision.
 */
import { ControlRouteError } from '../errors.js'
import type { Components } from '../../components.js'
import { ApproverError, type ApproverBook } from '../../services/approvals/approver-book.js'
import { audited } from './audited.js'

export function approverRoutes (ctx: Pick<Components, 'control' | 'clock' | 'audit'>, book: ApproverBook): void {
  const wrap = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f()
    } catch (err) {
      if (err instanceof ApproverError) throw new ControlRouteError(err.code, err.message, err.code === 'UNKNOWN_APPROVER' ? 404 : err.code === 'APPROVER_EXISTS' ? 409 : 400)
      throw err
    }
  }
  ctx.control.route('GET', '/v1/approvers', async () => book.list())

  ctx.control.route('POST', '/v1/approvers', async (req) => await wrap(async () => {
    const b = (req.body ?? {}) as { name?: unknown, did?: unknown, role?: unknown }
    if (typeof b.name !== 'string' || typeof b.did !== 'string' || (b.role != null && typeof b.role !== 'string')) throw new ControlRouteError('BAD_REQUEST', 'body needs name and did (strings) and may have role', 400)
    if (book.list().some(a => a.name === b.name) || book.byDid(b.did) != null) throw new ApproverError('APPROVER_EXISTS', `approver ${b.name} or ${b.did} exists`)
    await audited(ctx.audit, { kind: 'approval', subject: `approver:${b.name}`, reason: 'APPROVER_ADDED', details: { did: b.did, ...(b.role != null ? { role: b.role } : {}) } })
    return await book.add({ name: b.name, did: b.did, ...(typeof b.role === 'string' ? { role: b.role } : {}) }, ctx.clock.now())
  }))

  ctx.control.route('DELETE', '/v1/approvers/:name', async (req) => await wrap(async () => {
    const a = book.list().find(x => x.name === req.params.name) ?? book.byDid(req.params.name)
    if (a == null) throw new ApproverError('UNKNOWN_APPROVER', `no approver ${req.params.name}`)
    await audited(ctx.audit, { kind: 'approval', subject: `approver:${a.name}`, reason: 'APPROVER_REMOVED', details: { did: a.did } })
    return await book.remove(a.name)
  }))
}
