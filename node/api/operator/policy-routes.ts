/**
 * Control API routes for the node's policy: show it (as loaded, or the effective levels), check a
 * request against it (the decision and the rule of each level that produced it), and load a new one
 * (which passes the same strict and never-loosen checks as at start, and is audited before it applies).
 */
import { ControlRouteError } from '../errors.js'
import type { AuditRecorder, Components } from '../../components.js'
import { audited } from './audited.js'
import { loadLocalPolicy, PolicyStartError, type LocalPolicy } from '../../local-policy.js'
import { effectiveRingDetail, evaluatePolicy, levelDefault } from '../../../authz/index.js'
import { PrincipalBook } from '../../services/delegation/principal-book.js'
import { SUBLEVELS } from '../../store/sublevels.js'
import type { ElevationBook } from '../../services/approvals/elevation-book.js'
import type { PolicyBook } from '../../services/approvals/policy-book.js'
import { readRegularFile } from '../../../identity/regular-file.js'

export interface PolicyRouteDeps {
  elevations: ElevationBook
  book: PolicyBook
  audit: AuditRecorder
}

function view (p: LocalPolicy): Record<string, unknown> {
  return {
    digest: p.digest,
    file: p.file,
    levels: p.policy.levels.map((l, i) => ({ level: i, file: l.file, name: l.document.name, extends: l.document.extends, default: levelDefault(l.document), rings: l.document.rings, rules: l.document.rules }))
  }
}

export type PolicyRouteComponents = Pick<Components, 'control' | 'policy' | 'identity' | 'agents' | 'store' | 'clock' | 'enrolments' | 'trust' | 'logger'>

export function policyRoutes (ctx: PolicyRouteComponents, deps: PolicyRouteDeps): void {
  ctx.control.route('GET', '/v1/policy', async (req) => {
    const p = ctx.policy.get()
    if (req.query.effective != null && req.query.effective !== '0') return view(p)
    const text = await readRegularFile(p.file).catch(() => undefined)
    return { digest: p.digest, file: p.file, levels: p.policy.levels.map(l => l.file), ...(text != null ? { text } : {}) }
  })

  ctx.control.route('POST', '/v1/policy/check', async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    for (const k of ['as', 'ability', 'resource']) {
      if (typeof b[k] !== 'string' || b[k] === '') throw new ControlRouteError('BAD_REQUEST', `${k} is required`, 400)
    }
    const as = b.as as string
    const self = ctx.identity.orgDid
    let did: string
    let org: string
    let ring: number
    let elevated: number | undefined
    const local = await ctx.agents.get(as)
    if (local != null) {
      did = local.did
      org = self
      const e = await deps.elevations.ringOf(local.did, local.ring)
      ring = e.ring
      if (e.ring !== local.ring) elevated = e.ring
    } else {
      const principals = new PrincipalBook({ repo: ctx.store.repository<string>(SUBLEVELS.credentials), clock: ctx.clock, trustedOrgs: () => [self, ...ctx.enrolments.list().map(e => e.orgDid)] })
      await principals.load()
      const p = principals.check(as)
      if (!p.ok) throw new ControlRouteError(p.error.code, `${as}: ${p.error.message} (a local agent name or the DID of a known agent)`, 404)
      did = p.value.did
      org = p.value.org
      ring = p.value.ring
    }
    const orgMaxRing = org === self ? 1 : ctx.enrolments.get(org)?.maxRing ?? 3
    const eff = effectiveRingDetail({ chainRings: [ring], caveatMaxRings: [], orgMaxRing })
    const trust = ctx.trust.trustOf(org)
    const decision = evaluatePolicy(ctx.policy.get().policy, {
      ability: b.ability as string, resource: b.resource as string, callerOrg: org, callerAgent: did, selfOrg: self,
      ring: eff.ring, ringCappedBy: eff.cappedBy, ...(trust != null ? { trust } : {}), ...(b.args !== undefined ? { args: b.args } : {})
    })
    return { as: did, org, ring: eff.ring, ...(eff.cappedBy !== '' ? { ringCappedBy: eff.cappedBy } : {}), ...(elevated != null ? { elevatedTo: elevated } : {}), ...(trust != null ? { trust } : {}), policy: ctx.policy.get().digest, ...decision }
  })

  ctx.control.route('POST', '/v1/policy/load', async (req) => {
    const file = (req.body as { file?: unknown } | undefined)?.file
    if (typeof file !== 'string' || file === '') throw new ControlRouteError('BAD_REQUEST', 'file is required', 400)
    let next: LocalPolicy
    try {
      next = await loadLocalPolicy(file)
    } catch (err) {
      if (err instanceof PolicyStartError) throw new ControlRouteError(err.code, err.message.replace(/ cannot be loaded: /, ' refused: '), 422)
      throw err
    }
    const prev = ctx.policy.get()
    await audited(deps.audit, { kind: 'policy.load', subject: next.digest, details: { file: next.file, previous: prev.digest, levels: next.policy.levels.map(l => l.file) } })
    await deps.book.addLocal(next.policy, ctx.clock.now())
    ctx.policy.set(next)
    ctx.logger.info('policy loaded', { file: next.file, digest: next.digest, previous: prev.digest })
    return { ...view(next), previous: prev.digest }
  })
}
