/**
 * SPIFFE in hello (issue 8): with a Workload API socket configured, the node fetches its X509-SVID at
 * start (no valid SVID: start fails, the node never claims an identity it cannot back) and presents the
 * CURRENT one in every hello with the org-signed binding to its PeerId. Independently of its own
 * socket, it checks the SVID a partner presents against THAT partner's enrolled bundle only (trust
 * domains are never merged) and the SPIFFE ID the operator enrolled for it.
 */
import type { Components, HelloExtension, Service } from '../../components.js'
import type { HelloMessage } from '../../../protocols/hello/messages.js'
import type { EnrolledOrgView } from '../../mesh/verify-hello.js'
import { fail, ok, type Result } from '../../../identity/result.js'
// validation only: the gRPC Workload API client is loaded when a socket is configured, so a node
// without SPIFFE does not carry @grpc/grpc-js and protobufjs in memory
import { createTrustBundle, type TrustBundle } from './bundle-file.js'
import { leafSha256 } from './svid-binding.js'
import { parseSpiffeId } from './spiffe-id.js'
import { presentSvid, verifyPeerSvid, type PresentedSvid } from './peer-svid.js'
import type { X509Svid } from './x509-svid.js'
import { SpiffeError, SpiffeUnavailableError } from './errors.js'
import type { SpiffeSource } from './spiffe-source.js'

export const SpiffeFeatureErrorCode = {
  /** The enrolment's SPIFFE part is unusable (bad ID or bundle); nothing from that org is accepted. */
  BAD_ENROLMENT: 'SPIFFE_BAD_ENROLMENT'
} as const

/**
 * Backdating of the binding's `iat`, so a partner whose clock is behind ours (within the 60 s skew the
 * design allows) does not see it as issued in the future. The binding still expires with the leaf.
 */
const BINDING_BACKDATE_MS = 60_000

export interface SpiffeFeatureOptions {
  /** SPIFFE Workload API address (`unix:///path` or `tcp://ip:port`); unset: this node presents no SVID. */
  socket?: string
  /** How long start waits for the first valid SVID. */
  readyTimeoutMs?: number
}

export type SpiffeState = 'off' | 'starting' | 'ready' | 'unavailable' | 'stopped'

export interface SpiffeStatus {
  spiffeId?: string
  svidExpiresAt?: string
  state: SpiffeState
  socket?: string
}

interface Presentation { leaf: string, value: PresentedSvid }

/** Parse an enrolment's `{ bundlePem, spiffeId }` into the one bundle and ID to check against. */
export function enrolledSpiffe (spiffe: unknown): Result<{ bundle: TrustBundle, spiffeId: string }> {
  const s = spiffe as { bundlePem?: unknown, spiffeId?: unknown } | null
  if (s == null || typeof s !== 'object' || typeof s.bundlePem !== 'string' || typeof s.spiffeId !== 'string') {
    return fail(SpiffeFeatureErrorCode.BAD_ENROLMENT, 'enrolled SPIFFE settings must be { bundlePem, spiffeId }')
  }
  const id = parseSpiffeId(s.spiffeId)
  if (!id.ok) return fail(SpiffeFeatureErrorCode.BAD_ENROLMENT, `enrolled SPIFFE ID: ${id.error.message}`)
  const bundle = createTrustBundle(id.value.trustDomain, s.bundlePem)
  if (!bundle.ok) return fail(SpiffeFeatureErrorCode.BAD_ENROLMENT, `enrolled trust bundle of ${id.value.trustDomain}: ${bundle.error.code}: ${bundle.error.message}`)
  return ok({ bundle: bundle.value, spiffeId: id.value.id })
}

export const SPIFFE_DEPENDENCIES = ['clock', 'logger', 'identity', 'orgSigner'] as const
export type SpiffeComponents = Pick<Components, typeof SPIFFE_DEPENDENCIES[number]>

/** SPIFFE in hello; always built: with no socket it presents nothing but still checks partners' SVIDs. */
export function createSpiffeService (ctx: SpiffeComponents, options: SpiffeFeatureOptions = {}): Service & { hello: HelloExtension, presenting: () => boolean } {
  {
    const log = ctx.logger.child('spiffe')
    const socket = options.socket != null && options.socket !== '' ? options.socket : undefined
    let source: SpiffeSource | undefined
    let state: SpiffeState = socket == null ? 'off' : 'starting'
    let presentation: Presentation | undefined
    let unsubscribe = (): void => {}

    // partners' bundles parsed once per enrolment value, not per hello
    const parsed = new Map<string, { key: string, value: ReturnType<typeof enrolledSpiffe> }>()
    const enrolmentOf = (e: EnrolledOrgView): ReturnType<typeof enrolledSpiffe> => {
      const s = e.spiffe as { bundlePem?: unknown, spiffeId?: unknown } | undefined
      const key = `${String(s?.spiffeId)}\n${String(s?.bundlePem)}`
      const hit = parsed.get(e.orgDid)
      if (hit?.key === key) return hit.value
      const value = enrolledSpiffe(e.spiffe)
      parsed.set(e.orgDid, { key, value })
      return value
    }

    const verifySpiffe = (hello: HelloMessage, enrolment: EnrolledOrgView, peerId: string): Result<string> => {
      const expect = enrolmentOf(enrolment)
      if (!expect.ok) return expect
      if (hello.spiffe == null) return fail('SPIFFE_REQUIRED', `org ${enrolment.orgDid} is enrolled with a SPIFFE bundle but the peer presented no SVID`)
      const v = verifyPeerSvid({ chain: hello.spiffe.svidChain, binding: hello.spiffe.binding }, {
        bundle: expect.value.bundle,
        expectedSpiffeId: expect.value.spiffeId,
        orgDid: enrolment.orgDid,
        peerId,
        now: ctx.clock.now()
      })
      if (!v.ok) return fail(v.error.code, `SVID of org ${enrolment.orgDid} (expected ${expect.value.spiffeId}): ${v.error.message}`)
      return ok(v.value.spiffeId)
    }

    const prepare = async (svid: X509Svid): Promise<void> => {
      const leaf = leafSha256(svid.chain[0])
      if (presentation?.leaf === leaf) return
      const value = await presentSvid(ctx.orgSigner, svid, ctx.identity.peerId, ctx.clock.now() - BINDING_BACKDATE_MS)
      // a newer SVID may have arrived while signing: only the current one is ever presented
      const cur = source?.current()
      if (cur != null && leafSha256(cur.chain[0]) === leaf) presentation = { leaf, value }
    }

    let presenting = false
    const extension = (): Partial<HelloMessage> => {
      if (!presenting) return {}
      const cur = source?.current()
      if (cur == null) return {}
      if (presentation == null || presentation.leaf !== leafSha256(cur.chain[0])) {
        // rotated a moment ago and the binding is still being signed: send none rather than a stale one
        void prepare(cur).catch(err => { log.error('could not sign the SVID binding', { error: (err as Error).message }) })
        return {}
      }
      return { spiffe: { svidChain: [...presentation.value.chain], binding: presentation.value.binding } }
    }

    const status = (): SpiffeStatus => {
      const cur = source?.current()
      const s: SpiffeState = state === 'ready' && cur == null ? 'unavailable' : state
      return {
        state: s,
        ...(socket != null ? { socket } : {}),
        ...(cur != null && s === 'ready' ? { spiffeId: cur.spiffeId, svidExpiresAt: new Date(cur.notAfter).toISOString() } : {})
      }
    }

    return {
      name: 'spiffe',
      dependencies: SPIFFE_DEPENDENCIES,
      hello: { fields: extension, verifySpiffe },
      presenting: () => presenting,
      ...(socket != null ? { status } : {}),
      async start () {
        if (socket == null || source != null) return
        const { createSpiffeSource, DEFAULT_READY_TIMEOUT_MS } = await import('./spiffe-source.js')
        const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS
        let svid: X509Svid
        try {
          source = createSpiffeSource({ socket, logger: log, clock: ctx.clock })
          log.info('waiting for the X509-SVID from the SPIFFE Workload API', { socket, timeoutMs })
          svid = await source.ready(timeoutMs)
          await prepare(svid)
        } catch (err) {
          state = 'unavailable'
          source?.close()
          const e = err as Error & { code?: string }
          const why = (e.message ?? String(err)).replace(/\s*\n\s*/g, ' ')
          const message = `SPIFFE is configured (${socket}) but the node has no valid X509-SVID from it, so it does not start: ${why}`
          throw err instanceof SpiffeError && err.code !== 'SPIFFE_ABORTED' ? new SpiffeError(err.code, message, { cause: err }) : new SpiffeUnavailableError(message, { cause: err })
        }
        unsubscribe = source.onUpdate(next => {
          if (next == null) {
            if (state === 'ready') log.warn('no valid X509-SVID any more; hello goes out without one until the Workload API sends a new one')
            return
          }
          prepare(next).catch(e => { log.error('could not sign the SVID binding', { error: (e as Error).message }) })
        })
        presenting = true
        state = 'ready'
        log.info('presenting X509-SVID in hello', { spiffeId: svid.spiffeId, expires: new Date(svid.notAfter).toISOString() })
      },
      async stop () {
        if (source == null) return
        unsubscribe()
        presenting = false
        source.close()
        source = undefined
        presentation = undefined
        state = 'stopped'
      }
    }
  }
}
