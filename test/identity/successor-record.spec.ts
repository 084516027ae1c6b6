/**
 * Successor records (org key rotation): signed by the old key and countersigned by the new one; a
 * record either key did not sign is refused; after the record the old key's new signatures are
 * KEY_RETIRED (in hello too), earlier ones stay valid.
 */
import { expect } from 'chai'
import { checkNotRetired, issueSuccessorRecord, verifySuccessorRecord, KEY_RETIRED } from '../../identity/successor-record.js'
import { issueNodeCredential } from '../../identity/credentials.js'
import { peerIdStringFromPublicKey } from '../../identity/peer-id.js'
import { verifyHello } from '../../protocols/hello/verify.js'
import { signJwt } from '../../identity/jwt.js'
import { fakeClock } from '../helpers/clock.js'
import { acme, globex, mallory, principal } from '../helpers/principals.js'

const acme2 = principal('acme-2')

describe('successor records', () => {
  it('old key signs, new key countersigns; the record verifies and names both DIDs and the time', async () => {
    const clock = fakeClock()
    const jwt = await issueSuccessorRecord(acme, acme2, clock)
    const r = verifySuccessorRecord(jwt)
    expect(r.ok, r.ok ? '' : r.error.message).to.equal(true)
    if (r.ok) expect(r.value).to.include({ oldDid: acme.did, newDid: acme2.did, at: Math.floor(clock.now() / 1000) })
  })

  it('refuses a record naming a successor that did not countersign, or signed by someone else', async () => {
    const clock = fakeClock()
    const good = await issueSuccessorRecord(acme, acme2, clock)
    const payload = JSON.parse(Buffer.from(good.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>
    // acme names mallory's DID as its successor with acme2's countersignature
    const swapped = await signJwt({ ...payload, sub: mallory.did }, acme, { typ: 'trustmesh-successor+jwt' })
    expect(verifySuccessorRecord(swapped).ok).to.equal(false)
    // mallory claims to be acme's successor, signing as herself
    const forged = await signJwt({ ...payload, iss: acme.did }, mallory, { typ: 'trustmesh-successor+jwt' })
    const f = verifySuccessorRecord(forged)
    expect(f.ok).to.equal(false)
    expect(verifySuccessorRecord(await signJwt(payload, acme, { typ: 'JWT' })).ok).to.equal(false)
  })

  it('after the record the old key is KEY_RETIRED; what it signed before stays acceptable', () => {
    const retiredAt = (did: string): number | undefined => did === acme.did ? 1000 : undefined
    expect(checkNotRetired(acme.did, 999, retiredAt).ok).to.equal(true)
    const later = checkNotRetired(acme.did, 1000, retiredAt)
    expect(later.ok ? '' : later.error.code).to.equal(KEY_RETIRED)
    const unknown = checkNotRetired(acme.did, undefined, retiredAt)
    expect(unknown.ok ? '' : unknown.error.code).to.equal(KEY_RETIRED)
    expect(checkNotRetired(globex.did, 5000, retiredAt).ok).to.equal(true)
  })

  it('hello refuses a NodeCredential the retired key issued after its successor record', async () => {
    const clock = fakeClock()
    const peerId = peerIdStringFromPublicKey(globex.publicKey)
    const at = Math.floor(clock.now() / 1000)
    const before = await issueNodeCredential(acme, { peerId, orgName: 'acme' }, { clock: fakeClock(clock.now() - 10_000), ttlSeconds: 3600 })
    const after = await issueNodeCredential(acme, { peerId, orgName: 'acme' }, { clock, ttlSeconds: 3600 })
    const opts = { remotePeerId: peerId, clock, enrolledOrg: (did: string) => did === acme.did ? { orgDid: did } : undefined, retiredAt: (did: string) => did === acme.did ? at : undefined }
    const hello = (nodeCredential: string): Parameters<typeof verifyHello>[0] => ({ v: 1, nodeCredential, orgName: 'acme', software: 'test', policyDigest: 'x' })
    expect(verifyHello(hello(before), opts).ok).to.equal(true)
    const r = verifyHello(hello(after), opts)
    expect(r.ok ? '' : r.error.code).to.equal(KEY_RETIRED)
  })
})
