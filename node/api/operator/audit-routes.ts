/**
 * Control API routes of the audit log: entries, verification (recomputed from the store by the node),
 * inclusion proofs, checkpoints on demand, evidence bundle export and what this node saw as witness.
 */
import { isAbsolute } from 'node:path'
import { ControlRouteError } from '../errors.js'
import type { Components } from '../../components.js'
import type { AuditServices } from '../../services/audit/audit-node-service.js'

const MAX_PAGE = 10_000

function intParam (v: string | undefined, name: string, dflt: number): number {
  if (v == null || v === '') return dflt
  if (!/^\d{1,15}$/.test(v)) throw new ControlRouteError('BAD_REQUEST', `${name} must be a non-negative integer`, 400)
  return Number(v)
}

function auditError (err: unknown): never {
  const e = err as { code?: string, message?: string }
  if (e.code === 'AUDIT_UNAVAILABLE' || e.code === 'AUDIT_CORRUPT') throw new ControlRouteError(e.code, e.message ?? 'audit log unavailable', 503)
  throw err
}

export function auditRoutes (ctx: Pick<Components, 'control'>, s: AuditServices): void {
  const { control } = ctx

  control.route('GET', '/v1/audit/entries', async (req) => {
    const since = intParam(req.query.since, 'since', 0)
    const sinceTime = intParam(req.query.sinceTime, 'sinceTime', 0)
    const limit = Math.min(intParam(req.query.limit, 'limit', MAX_PAGE), MAX_PAGE)
    const size = s.service.log.size()
    const out = []
    try {
      for (let i = since; i < size && out.length < limit; i++) {
        const e = await s.service.log.get(i)
        if (e != null && e.time >= sinceTime) out.push(e)
      }
    } catch (err) { auditError(err) }
    return { origin: s.service.origin, size, entries: out }
  })

  control.route('POST', '/v1/audit/verify', async (req) => {
    const min = (req.body as { minCosignatures?: unknown } | undefined)?.minCosignatures
    if (min !== undefined && (typeof min !== 'number' || !Number.isInteger(min) || min < 0 || min > 64)) throw new ControlRouteError('BAD_REQUEST', 'minCosignatures must be an integer from 0 to 64', 400)
    const report = await s.service.verify(min != null ? { minCosignatures: min } : {})
    const equivocations = await s.witness.equivocations()
    return { ...report, ...(s.service.broken() != null ? { broken: s.service.broken() } : {}), equivocationsSeen: equivocations.map(e => ({ origin: e.origin, size: e.size })) }
  })

  control.route('GET', '/v1/audit/proof/:entry', async (req) => {
    const key = req.params.entry
    let index: number | undefined
    try {
      index = /^\d{1,15}$/.test(key) ? Number(key) : await s.service.findSubject(key)
    } catch (err) { auditError(err) }
    if (index == null) throw new ControlRouteError('NO_SUCH_ENTRY', `no audit entry about ${key}`, 404)
    let r
    try { r = await s.service.proof(index) } catch (err) { auditError(err) }
    if (!r.ok) throw new ControlRouteError(r.error.code, r.error.message, 404)
    return { origin: s.service.origin, ...r.value }
  })

  control.route('POST', '/v1/audit/checkpoint', async () => {
    try {
      return await s.round()
    } catch (err) { auditError(err) }
  })

  control.route('GET', '/v1/audit/checkpoint', async () => {
    const checkpoint = await s.service.latest()
    if (checkpoint == null) throw new ControlRouteError('NO_CHECKPOINT', 'no checkpoint signed yet', 404)
    return { checkpoint, cosigners: await s.service.cosignersOn(checkpoint) }
  })

  control.route('POST', '/v1/audit/export', async (req) => {
    const dir = (req.body as { dir?: unknown } | undefined)?.dir
    if (typeof dir !== 'string' || !isAbsolute(dir) || dir.length > 4096) throw new ControlRouteError('BAD_REQUEST', 'dir must be an absolute path', 400)
    try {
      // a fresh checkpoint over every entry, cosigned by whoever answers now
      const { outcomes } = await s.round()
      const r = await s.service.export(dir)
      return { ...r, cosignRequests: outcomes.map(o => ({ did: o.did, ok: o.ok, ...(o.code != null ? { code: o.code } : {}) })) }
    } catch (err) { auditError(err) }
  })

  control.route('GET', '/v1/audit/witness', async () => {
    const equivocations = await s.witness.equivocations()
    return { name: s.witness.name, logs: s.witness.logs(), equivocations }
  })
}
