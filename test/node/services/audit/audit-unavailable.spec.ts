/**
 * Fail closed: an in-process node whose audit store refuses writes decides nothing. A task reaching
 * the executor is DENIED with AUDIT_UNAVAILABLE and an enrolment is refused and not stored; once the
 * store writes again, decisions are recorded and take effect.
 */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { initOrganisation } from '../../../../node/init-org.js'
import { createNode, type TrustmeshNode } from '../../../../node/create-node.js'
import { SUBLEVELS } from '../../../../node/store/sublevels.js'
import { createClient } from '../../../../client/control-client.js'
import { silentLogger } from '../../../../identity/logger.js'
import { systemClock } from '../../../../identity/clock.js'
import type { Store } from '../../../../node/store/index.js'
import { globex } from '../../../helpers/principals.js'

const PASS = 'audit-unavailable-test-pass'

describe('audit-service: an unwritable audit log denies', function () {
  this.timeout(20_000)
  let dir: string
  let node: TrustmeshNode | undefined
  let failing = false

  /** The node's store, but its audit-entries sublevel fails every write while `failing`. */
  const flakyAudit = (base: Store): Store => {
    const real = base.sublevel(SUBLEVELS.auditEntries)
    const flaky = new Proxy(real, {
      get (t, p) {
        if (p === 'batch' && failing) return async () => { throw new Error('disk full') }
        const v = Reflect.get(t, p, t) as unknown
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v
      }
    })
    const store = Object.create(base) as Store & { sublevel: Store['sublevel'] }
    store.sublevel = (name) => name === SUBLEVELS.auditEntries ? flaky : base.sublevel(name)
    return store
  }

  beforeEach(async () => {
    failing = false
    dir = await mkdtemp('/tmp/tm-au-')
    await initOrganisation({ dataDir: dir, orgName: 'acme', passphrase: PASS, clock: systemClock, scryptN: 1024 })
    node = await createNode({ dataDir: dir, passphrase: PASS, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, logger: silentLogger(), wrapStore: flakyAudit })
    await node.start()
  })
  afterEach(async () => {
    await node?.stop()
    node = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('a task is DENIED with AUDIT_UNAVAILABLE, an enrolment is refused; both work again once the log writes', async () => {
    const exec = node?.services.tasks.executor
    if (exec == null) throw new Error('node not built')
    const req = { v: 1 as const, invocation: 'not-a-token', proofs: {}, credentials: {} }
    const self = { orgDid: node?.components.identity.orgDid ?? '' }
    const client = createClient({ dataDir: dir, timeoutMs: 5_000 })

    failing = true
    const denied = await exec.execute(req, self)
    expect(denied.outcome).to.equal('denied')
    expect(denied.code).to.equal('AUDIT_UNAVAILABLE')
    let refused: { code?: string } | undefined
    try {
      await client.request('POST', '/v1/peers', { orgDid: globex.did, name: 'globex', addrs: [] })
    } catch (err) { refused = err as { code?: string } }
    expect(refused?.code).to.equal('AUDIT_UNAVAILABLE')
    expect(node?.components.enrolments.get(globex.did)).to.equal(undefined)

    failing = false
    const decided = await exec.execute(req, self)
    expect(decided.outcome).to.equal('denied')
    expect(decided.code).to.not.equal('AUDIT_UNAVAILABLE')
    await client.request('POST', '/v1/peers', { orgDid: globex.did, name: 'globex', addrs: [] })
    expect(node?.components.enrolments.get(globex.did)).to.not.equal(undefined)
    const page = await client.request<{ entries: Array<{ kind: string, subject: string }> }>('GET', '/v1/audit/entries')
    expect(page.entries.map(e => e.kind)).to.deep.equal(['node.start', 'task.deny', 'enrolment'])
    expect(page.entries[2].subject).to.equal(globex.did)
  })
})
