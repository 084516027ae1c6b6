/**
 * Control API routes of the core: node status, enrolment of partner orgs, and local agents. Thin
 * adapters: validation and decisions live in the components they call.
 */
import { ControlRouteError } from '../errors.js'
import type { Components, PolicyHolder } from '../../components.js'
import { audited } from './audited.js'
import { EnrolmentError, type EnrolInput } from '../../mesh/enrolments.js'
import { SOFTWARE_VERSION } from '../../version.js'
import { parseBundleFile } from '../../services/spiffe/bundle-file.js'
import { parseSpiffeId } from '../../services/spiffe/spiffe-id.js'

export type { PolicyHolder } from '../../components.js'
export type CoreRouteComponents = Pick<Components, 'control' | 'clock' | 'logger' | 'identity' | 'libp2p' | 'registry' | 'enrolments' | 'mesh' | 'startedAt' | 'audit' | 'agents' | 'roots' | 'trust'>

/** The partner's SPIFFE trust bundle and node ID, checked before anything is stored. */
function asSpiffeInput (v: unknown): EnrolInput['spiffe'] {
  if (v === undefined || v === null) return undefined
  const s = v as { bundlePem?: unknown, spiffeId?: unknown }
  if (typeof v !== 'object' || typeof s.bundlePem !== 'string' || typeof s.spiffeId !== 'string') {
    throw new ControlRouteError('BAD_REQUEST', 'spiffe must be { bundlePem: string, spiffeId: string }', 400)
  }
  const id = parseSpiffeId(s.spiffeId)
  if (!id.ok) throw new ControlRouteError('INVALID_SPIFFE_ID', `--spiffe-id: ${id.error.message}`, 400)
  if (id.value.path === '') throw new ControlRouteError('INVALID_SPIFFE_ID', `--spiffe-id: ${id.value.id} names a trust domain, not the partner's node (add its path)`, 400)
  const bundle = parseBundleFile(s.bundlePem)
  if (!bundle.ok) throw new ControlRouteError('INVALID_SPIFFE_BUNDLE', `--spiffe-bundle: ${bundle.error.code}: ${bundle.error.message}`, 400)
  return { bundlePem: s.bundlePem, spiffeId: id.value.id }
}

function asEnrolInput (body: unknown): EnrolInput {
  if (body == null || typeof body !== 'object') throw new ControlRouteError('BAD_REQUEST', 'body must be a JSON object', 400)
  const b = body as Record<string, unknown>
  if (typeof b.orgDid !== 'string') throw new ControlRouteError('BAD_REQUEST', 'orgDid is required', 400)
  if (b.addrs !== undefined && (!Array.isArray(b.addrs) || b.addrs.some(a => typeof a !== 'string') || b.addrs.length > 16)) throw new ControlRouteError('BAD_REQUEST', 'addrs must be an array of at most 16 multiaddr strings', 400)
  return {
    orgDid: b.orgDid,
    name: typeof b.name === 'string' ? b.name : undefined,
    addrs: b.addrs as string[] | undefined,
    maxRing: typeof b.maxRing === 'number' ? b.maxRing : undefined,
    preTrusted: typeof b.preTrusted === 'boolean' ? b.preTrusted : undefined,
    spiffe: asSpiffeInput(b.spiffe)
  }
}

function routeError (err: unknown): never {
  if (err instanceof EnrolmentError) throw new ControlRouteError(err.code, err.message, 400)
  const e = err as { code?: string, message?: string }
  if (e.code === 'INVALID_ADDRESS') throw new ControlRouteError(e.code, e.message ?? 'invalid address', 400)
  throw err
}

/** `status` gathers each service's contribution to `node status`. */
export function coreRoutes (ctx: CoreRouteComponents, policy: PolicyHolder, status: () => Record<string, unknown>): void {
  const { control } = ctx

  control.route('GET', '/v1/status', async () => {
    const extra = status()
    return {
      orgName: ctx.identity.orgName,
      orgDid: ctx.identity.orgDid,
      peerId: ctx.identity.peerId,
      software: SOFTWARE_VERSION,
      listen: ctx.libp2p.getMultiaddrs().map(m => m.toString()),
      connectedPeers: ctx.registry.peers().map(p => ({ peerId: p.peerId, orgDid: p.orgDid, orgName: p.orgName, since: new Date(p.connectedAt).toISOString(), credentialExpiresAt: new Date(p.credentialExpiresAt * 1000).toISOString(), ...(p.spiffeId != null ? { spiffeId: p.spiffeId } : {}) })),
      policyDigest: policy.get().digest,
      startedAt: new Date(ctx.startedAt).toISOString(),
      uptimeSeconds: Math.round((ctx.clock.now() - ctx.startedAt) / 1000),
      ...extra
    }
  })

  const peerView = (orgDid: string): Record<string, unknown> => {
    const e = ctx.enrolments.get(orgDid)
    const live = ctx.registry.peers().filter(p => p.orgDid === orgDid)
    return {
      ...e,
      connected: live.length > 0,
      nodes: live.map(p => ({ peerId: p.peerId, orgName: p.orgName, software: p.software, policyDigest: p.policyDigest, since: new Date(p.connectedAt).toISOString(), spiffeVerified: p.spiffeId != null, ...(p.spiffeId != null ? { spiffeId: p.spiffeId } : {}) }))
    }
  }

  control.route('GET', '/v1/peers', async () => ctx.enrolments.list().map(e => peerView(e.orgDid)))

  control.route('POST', '/v1/peers', async (req) => {
    const input = asEnrolInput(req.body)
    await audited(ctx.audit, { kind: 'enrolment', subject: input.orgDid, details: { action: 'add', name: input.name, addrs: input.addrs, maxRing: input.maxRing, preTrusted: input.preTrusted } })
    try {
      await ctx.enrolments.add(input, ctx.clock.now())
    } catch (err) { routeError(err) }
    ctx.registry.clearRefusals()
    ctx.mesh.resetBackoff()
    ctx.logger.info('org enrolled', { org: input.orgDid, name: input.name })
    ctx.mesh.redial()
    return peerView(input.orgDid)
  })

  control.route('POST', '/v1/peers/:did/trust', async (req) => {
    const preTrusted = (req.body as { preTrusted?: unknown } | undefined)?.preTrusted
    try {
      await ctx.enrolments.setPreTrusted(req.params.did, preTrusted !== false)
    } catch (err) {
      if (err instanceof EnrolmentError) throw new ControlRouteError(err.code, err.message, 404)
      throw err
    }
    return peerView(req.params.did)
  })

  control.route('DELETE', '/v1/peers/:did', async (req) => {
    if (ctx.enrolments.get(req.params.did) == null) throw new ControlRouteError('NOT_ENROLLED', `org ${req.params.did} is not enrolled`, 404)
    await audited(ctx.audit, { kind: 'enrolment', subject: req.params.did, details: { action: 'remove' } })
    const removed = await ctx.enrolments.remove(req.params.did)
    if (!removed) throw new ControlRouteError('NOT_ENROLLED', `org ${req.params.did} is not enrolled`, 404)
    const cut = await ctx.mesh.disconnectOrg(req.params.did)
    ctx.logger.info('org removed', { org: req.params.did, disconnectedNodes: cut })
    return { orgDid: req.params.did, removed: true, disconnectedNodes: cut }
  })

}
