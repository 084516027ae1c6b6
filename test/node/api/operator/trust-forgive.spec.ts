/**
 * `trust forgive <did>` (issue 15 item 6): the operator route records the decision in the audit log
 * before it takes effect, then drops this node's first-hand evidence about the DID so its score goes
 * back to what attestations and the neutral prior say; an unwritable audit log refuses it (503).
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { trustRoutes } from '../../../../node/api/operator/trust-routes.js'
import type { ControlHandler, ControlRequest } from '../../../../node/api/control-server.js'
import type { AuditRecorder, Components, DecisionEvent } from '../../../../node/components.js'
import { openStore, type Store } from '../../../../node/store/open-store.js'
import { TrustService } from '../../../../node/services/trust/trust-service.js'
import { DEFAULT_TRUST_SETTINGS } from '../../../../node/services/trust/trust-settings.js'
import { issueReceipt } from '../../../../node/services/tasks/receipt.js'
import { silentLogger } from '../../../../identity/logger.js'
import { fail, ok } from '../../../../identity/result.js'
import { NEUTRAL_SCORE } from '../../../../trust/index.js'
import { acme, alice, bob, globex, principal } from '../../../helpers/principals.js'
import { fakeClock } from '../../../helpers/clock.js'

const T0 = Date.UTC(2026, 11, 2)

describe('operator route: trust forgive', () => {
  let dir: string
  let store: Store
  let service: TrustService
  let routes: Map<string, ControlHandler>
  let events: Array<DecisionEvent & { evidenceAtRecord: number }>
  let auditUp: boolean

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tm-forgive-'))
    store = await openStore(dir)
    const clock = fakeClock(T0)
    service = new TrustService({
      clock,
      logger: silentLogger(),
      selfOrg: acme.did,
      orgSigner: acme,
      enrolments: { get: (did: string) => did === globex.did ? { orgDid: globex.did, name: 'globex', preTrusted: false } : undefined, list: () => [{ orgDid: globex.did, name: 'globex', preTrusted: false }] } as never,
      store,
      gossip: { register: () => {}, publish: async () => ok({ id: 'x', status: 'published' as const }), list: async () => [] },
      localAgents: async () => [alice.did],
      settings: DEFAULT_TRUST_SETTINGS
    })
    await service.start()
    routes = new Map()
    events = []
    auditUp = true
    const audit: AuditRecorder = {
      size: () => events.length,
      record: async (event) => {
        if (!auditUp) return fail('AUDIT_UNAVAILABLE', 'disk full')
        events.push({ ...event, evidenceAtRecord: service.evidenceAbout(globex.did).length })
        return ok(undefined)
      }
    }
    const ctx = {
      control: { route: (method: string, path: string, h: ControlHandler) => { routes.set(`${method} ${path}`, h) } },
      identity: { orgDid: acme.did, orgName: 'acme' },
      enrolments: { get: () => undefined },
      libp2p: { services: { pubsub: {} } },
      registry: { peers: () => [] }
    } as unknown as Pick<Components, 'control' | 'identity' | 'enrolments' | 'libp2p' | 'registry'>
    trustRoutes(ctx, service, audit)
    // three failed tasks of globex's bob, witnessed by acme
    for (let i = 0; i < 3; i++) {
      const receipt = await issueReceipt(principal('globex-node'), { org: globex.did, inv: `bafy-f-${i}`, executor: bob.did, invoker: alice.did, outcome: 'error', code: 'TASK_FAILED', durationMs: 3, iat: T0 / 1000 })
      await service.onReceipt(receipt, 'received')
    }
  })

  afterEach(async () => {
    await service.stop()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const call = async (did: string, body: unknown): Promise<unknown> => {
    const h = routes.get('POST /v1/trust/:did/forgive')
    expect(h, 'the forgive route is registered').to.not.equal(undefined)
    const req: ControlRequest = { params: { did }, query: {}, body, signal: new AbortController().signal }
    return await (h as ControlHandler)(req)
  }

  it('audits first, then drops the evidence: the score returns to neutral', async () => {
    expect(service.trustOf(globex.did)).to.be.below(NEUTRAL_SCORE)
    const r = await call(globex.did, { reason: 'refusals were our own revocation' }) as { forgiven: number, score: number }
    expect(r.forgiven).to.equal(3)
    expect(r.score).to.equal(NEUTRAL_SCORE)
    expect(service.evidenceAbout(globex.did)).to.deep.equal([])
    expect(events).to.have.length(1)
    expect(events[0]).to.include({ kind: 'trust.update', subject: globex.did, reason: 'refusals were our own revocation', evidenceAtRecord: 3 })
    expect(events[0].details).to.include({ action: 'forgive', evidence: 3 })
  })

  it('is refused with AUDIT_UNAVAILABLE (503) when the audit log cannot be written, and forgives nothing', async () => {
    auditUp = false
    const err = await call(globex.did, {}).then(() => undefined, (e: unknown) => e as { code: string, status: number })
    expect(err).to.include({ code: 'AUDIT_UNAVAILABLE', status: 503 })
    expect(service.evidenceAbout(globex.did)).to.have.length(3)
  })

  it('refuses a DID that is not a did:key (400)', async () => {
    const err = await call('not-a-did', {}).then(() => undefined, (e: unknown) => e as { code: string, status: number })
    expect(err).to.include({ code: 'INVALID_DID', status: 400 })
  })
})
