/**
 * KEY_RETIRED everywhere (DESIGN 14): after acme's successor record, what acme's old key signs later
 * is refused wherever it arrives (gossiped trust attestations and revocations through the one record
 * intake, AgentCredentials in the principal book, delegation proofs in the chain checker), while what
 * it signed before the record stays valid until it expires or is revoked. Successor records themselves
 * (signed by the key they retire) are exempt. Audit checkpoints are signed by node keys, not org keys.
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTopicIntake } from '../../../node/gossip/record-intake.js'
import { RecordTopics, type RecordTopic } from '../../../node/gossip/record-topic.js'
import { attestationTopic } from '../../../node/services/trust/attestation-topic.js'
import { registerSuccessorTopic } from '../../../node/mesh/successor-topic.js'
import { openStore, type Store } from '../../../node/store/open-store.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { ok } from '../../../identity/result.js'
import { silentLogger } from '../../../identity/logger.js'
import { issueAttestation } from '../../../trust/index.js'
import { issueRevocation, verifyRevocation, cidOfJwt } from '../../../identity/ucan/index.js'
import { signJwt } from '../../../identity/jwt.js'
import { issueSuccessorRecord, KEY_RETIRED, type KeySuccession } from '../../../identity/successor-record.js'
import { issueAgentCredential } from '../../../identity/credentials.js'
import { issueAcceptance } from '../../../identity/agent-acceptance.js'
import { PrincipalBook } from '../../../node/services/delegation/principal-book.js'
import { RevocationBook, type StoredRevocation } from '../../../node/services/delegation/revocation-book.js'
import { fakeClock, type FakeClock } from '../../helpers/clock.js'
import { acme, alice, globex, principal } from '../../helpers/principals.js'

const acme2 = principal('acme-2')
const T0 = Date.UTC(2026, 0, 1)
/** acme rotated to acme-2 at T0 + 1000 s. */
const ROTATED_AT = T0 / 1000 + 1000
const succession: KeySuccession = {
  retiredAt: (did) => did === acme.did ? ROTATED_AT : undefined,
  successorsOf: (did) => did === acme.did ? [acme2.did] : []
}
const at = (clock: FakeClock, seconds: number): FakeClock => { clock.set(seconds * 1000); return clock }
const counts = { ok: 3, error: 0, denied: 0, timeout: 0 }

describe('KEY_RETIRED: records signed by a retired org key after its successor record', () => {
  let dir: string
  let store: Store
  beforeEach(async () => { dir = mkdtempSync(join(tmpdir(), 'tm-retired-')); store = await openStore(dir) })
  afterEach(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }) })

  const intakeOf = <T>(topic: RecordTopic<T>, clock: FakeClock): ReturnType<typeof createTopicIntake> =>
    createTopicIntake(topic, { store, clock, logger: silentLogger(), retiredAt: succession.retiredAt })

  it('a trust attestation by the retired key is ignored with KEY_RETIRED when signed after the record, accepted when signed before', async () => {
    const clock = fakeClock(T0)
    const topic = attestationTopic({ isEnrolledOrg: (d) => [acme.did, acme2.did, globex.did].includes(d), orgOf: () => undefined, onAccept: async () => {}, onMisbehaviour: () => {} })
    const before = await issueAttestation(acme, { sub: globex.did, score: 800, evidence: counts }, at(clock, ROTATED_AT - 60))
    const after = await issueAttestation(acme, { sub: globex.did, score: 990, evidence: counts }, at(clock, ROTATED_AT + 60))
    const byNewKey = await issueAttestation(acme2, { sub: globex.did, score: 900, evidence: counts }, at(clock, ROTATED_AT + 60))
    const intake = intakeOf(topic, at(clock, ROTATED_AT + 120))
    const refused = await intake.offer(after, globex.did)
    expect(refused.status).to.equal('ignored')
    expect(refused.status === 'ignored' ? refused.error.code : '').to.equal(KEY_RETIRED)
    expect(refused.status === 'ignored' ? refused.error.message : '').to.include(acme.did)
    expect((await intake.offer(before, globex.did)).status).to.equal('accepted')
    expect((await intake.offer(byNewKey, globex.did)).status).to.equal('accepted')
    let stored = 0
    for await (const _ of intake.repo.keys()) stored++
    expect(stored, 'the refused record is not stored').to.equal(2)
  })

  it('a revocation by the retired key is KEY_RETIRED when issued after the record, accepted before; a local publish is refused the same way', async () => {
    const clock = fakeClock(T0)
    const cid = cidOfJwt(await signJwt({ iss: acme.did, x: 1 }, acme, { typ: 'JWT' }))
    const topic: RecordTopic<string> = {
      name: RecordTopics.revocations,
      sublevel: SUBLEVELS.revocationRecords,
      maxBytes: 4096,
      maxRecords: 100,
      validate: (record, v) => {
        const r = verifyRevocation(record, { now: v.now, chainIssuersOf: () => [acme.did, acme2.did] })
        return r.ok ? ok({ id: `${r.value.revoke}/${r.value.issuer}/${r.value.issuedAt}`, value: record }) : r
      }
    }
    const before = await issueRevocation(acme, cid, at(clock, ROTATED_AT - 1))
    const after = await issueRevocation(acme, cid, at(clock, ROTATED_AT + 5))
    const byNewKey = await issueRevocation(acme2, cid, at(clock, ROTATED_AT + 5))
    const intake = intakeOf(topic, at(clock, ROTATED_AT + 10))
    const late = await intake.offer(after, globex.did)
    expect(late.status === 'ignored' ? late.error.code : late.status).to.equal(KEY_RETIRED)
    const local = await intake.offer(after, undefined)
    expect(local.status === 'ignored' ? local.error.code : local.status).to.equal(KEY_RETIRED)
    expect((await intake.offer(before, globex.did)).status).to.equal('accepted')
    expect((await intake.offer(byNewKey, globex.did)).status).to.equal('accepted')
  })

  it('a revocation stored before the node learned of the rotation does not count at use when the retired key signed it afterwards', async () => {
    const clock = fakeClock(T0)
    let known = false
    const book = new RevocationBook(store.repository<StoredRevocation>(SUBLEVELS.revocations), SUBLEVELS.revocations, { retiredAt: (d) => known ? succession.retiredAt(d) : undefined })
    const cid = cidOfJwt(await signJwt({ iss: acme.did, x: 2 }, acme, { typ: 'JWT' }))
    const late = await issueRevocation(acme, cid, at(clock, ROTATED_AT + 5))
    await book.add({ cid, issuer: acme.did, jwt: late, issuedAt: ROTATED_AT + 5 })
    expect(book.isRevoked(cid, new Set([acme.did]))?.issuer, 'before the record is known it counts').to.equal(acme.did)
    known = true
    expect(book.isRevoked(cid, new Set([acme.did])), 'signed after the retirement: not counted').to.equal(undefined)
    const early = await issueRevocation(acme, cid, at(clock, ROTATED_AT - 5))
    await book.add({ cid, issuer: acme.did, jwt: early, issuedAt: ROTATED_AT - 5 })
    expect(book.isRevoked(cid, new Set([acme.did]))?.issuedAt, 'signed before: counts').to.equal(ROTATED_AT - 5)
  })

  it('a record by a retired key that does not say when it was signed is KEY_RETIRED', async () => {
    const clock = fakeClock(T0 + 2_000_000)
    const topic: RecordTopic<string> = {
      name: RecordTopics.trust,
      sublevel: SUBLEVELS.trustAttestations,
      maxBytes: 4096,
      maxRecords: 100,
      validate: (record) => ok({ id: record.slice(-20), value: record })
    }
    const undated = await signJwt({ iss: acme.did, note: 'no iat' }, acme, { typ: 'JWT' })
    const out = await intakeOf(topic, clock).offer(undated, globex.did)
    expect(out.status === 'ignored' ? out.error.code : out.status).to.equal(KEY_RETIRED)
    expect(out.status === 'ignored' ? out.error.message : '').to.match(/does not say when/)
  })

  it('successor records are exempt (signed by the key they retire): the record itself is accepted', async () => {
    let topic: RecordTopic<string> | undefined
    registerSuccessorTopic({ register: (t: RecordTopic<string>) => { topic = t } } as never, { follow: () => undefined, add: async () => undefined, successorsOf: () => [] } as never)
    const clock = fakeClock(ROTATED_AT * 1000)
    const record = await issueSuccessorRecord(acme, acme2, clock)
    const out = await intakeOf(topic as RecordTopic<string>, at(clock, ROTATED_AT + 30)).offer(record, globex.did)
    expect(out.status).to.equal('accepted')
  })

  it('an AgentCredential by the retired key is KEY_RETIRED when issued after the record, valid when issued before', async () => {
    const clock = fakeClock(T0)
    const book = new PrincipalBook({ repo: store.repository<string>(SUBLEVELS.credentials), clock, org: globex.did, trustedOrgs: () => [globex.did, acme.did, acme2.did], succession })
    const late = await issueAgentCredential(acme, { agentDid: alice.did, name: 'alice', ring: 2, capabilities: ['records/read'] }, { clock: at(clock, ROTATED_AT + 5), ttlSeconds: 3600 })
    const refused = await book.add(late, { acceptance: await issueAcceptance(alice, late, acme.did, ROTATED_AT + 5) })
    expect(refused.ok ? '' : refused.error.code).to.equal(KEY_RETIRED)
    const early = await issueAgentCredential(acme, { agentDid: alice.did, name: 'alice', ring: 2, capabilities: ['records/read'] }, { clock: at(clock, ROTATED_AT - 5), ttlSeconds: 3600 })
    at(clock, ROTATED_AT + 10)
    const bound = await book.add(early, { acceptance: await issueAcceptance(alice, early, acme.did, ROTATED_AT - 5) })
    expect(bound.ok, bound.ok ? '' : bound.error.message).to.equal(true)
    expect(book.check(alice.did).ok).to.equal(true)
  })

  it('an AgentCredential learned before the successor record, signed after the retirement, is KEY_RETIRED at its next check', async () => {
    const clock = fakeClock(T0)
    let known = false
    const later: KeySuccession = { retiredAt: (d) => known ? succession.retiredAt(d) : undefined, successorsOf: (d) => known ? succession.successorsOf(d) : [] }
    const book = new PrincipalBook({ repo: store.repository<string>(SUBLEVELS.credentials), clock, org: globex.did, trustedOrgs: () => [globex.did, acme.did], succession: later })
    const late = await issueAgentCredential(acme, { agentDid: alice.did, name: 'alice', ring: 2, capabilities: ['records/read'] }, { clock: at(clock, ROTATED_AT + 5), ttlSeconds: 3600 })
    expect((await book.add(late, { acceptance: await issueAcceptance(alice, late, acme.did, ROTATED_AT + 5) })).ok).to.equal(true)
    known = true
    const c = book.check(alice.did)
    expect(c.ok ? '' : c.error.code).to.equal(KEY_RETIRED)
  })
})
