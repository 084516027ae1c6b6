import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, type Store } from '../../../../node/store/open-store.js'
import { SUBLEVELS } from '../../../../node/store/sublevels.js'
import { type KeySuccession } from '../../../../identity/successor-record.js'
import { issueAgentCredential } from '../../../../identity/credentials.js'
import { issueAcceptance } from '../../../../identity/agent-acceptance.js'
import { PrincipalBook } from '../../../../node/services/delegation/principal-book.js'
import { fakeClock } from '../../../helpers/clock.js'
import { acme, alice, globex, principal } from '../../../helpers/principals.js'

const acme2 = principal('acme-2')
const T0 = Date.UTC(2026, 0, 1)
const ROTATED_AT = T0 / 1000 + 1000
const succession: KeySuccession = {
  retiredAt: (did) => did === acme.did ? ROTATED_AT : undefined,
  successorsOf: (did) => did === acme.did ? [acme2.did] : []
}

/**
 * An AgentCredential re-issued under an org's new key after a rotation is never displaced by the
 * retired key's credential (anyone holding an old chain can present it), even though the re-issue
 * expires a moment earlier.
 */
describe('principal book: a retired key\'s credential never displaces its re-issue', () => {
  let dir: string
  let store: Store
  beforeEach(async () => { dir = mkdtempSync(join(tmpdir(), 'tm-rev-')); store = await openStore(dir) })
  afterEach(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }) })
  it('the old credential (signed before the rotation) is not put back over the successor one', async () => {
    const clock = fakeClock(T0)
    const book = new PrincipalBook({ repo: store.repository<string>(SUBLEVELS.credentials), clock, org: globex.did, trustedOrgs: () => [globex.did, acme.did, acme2.did], succession })
    // old credential: ring 1, expires T0+10000
    const old = await issueAgentCredential(acme, { agentDid: alice.did, name: 'alice', ring: 1, capabilities: ['records/read', 'records/write'] }, { clock, ttlSeconds: 10_000 })
    expect((await book.add(old, { acceptance: await issueAcceptance(alice, old, acme.did, T0 / 1000) })).ok).to.equal(true)
    // rotation at ROTATED_AT (+0.5 s): re-issue as reissueAgents does: ttl = floor((exp - now)/1000)
    clock.set(ROTATED_AT * 1000 + 500)
    const ttl = Math.floor(((T0 / 1000 + 10_000) * 1000 - clock.now()) / 1000)
    const reissued = await issueAgentCredential(acme2, { agentDid: alice.did, name: 'alice', ring: 2, capabilities: ['records/read'] }, { clock, ttlSeconds: ttl })
    expect((await book.add(reissued)).ok).to.equal(true)
    expect(book.credentialOf(alice.did)).to.equal(reissued)
    // anyone replays the old credential (it is in every old chain)
    const replay = await book.add(old)
    expect(replay.ok, 'the old credential itself still verifies (signed before the rotation)').to.equal(true)
    expect(book.credentialOf(alice.did), 'binding reverted to the retired key credential').to.equal(reissued)
  })
})
