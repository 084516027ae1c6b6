/**
 * Node key rotation on the partner's side: a NodeCredential names the PeerIds it replaces
 * (`credentialSubject.replaces`, bad input refused with the field named); verifyHello refuses a
 * retired PeerId with KEY_RETIRED; RetiredPeers persists retirements and counts one only for the org
 * that made it (or that org under a later org key), so no org can retire another org's node.
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { issueNodeCredential, verifyNodeCredential } from '../../../identity/credentials.js'
import { peerIdStringFromPublicKey } from '../../../identity/peer-id.js'
import { signJwt } from '../../../identity/jwt.js'
import { verifyHello } from '../../../protocols/hello/verify.js'
import { openStore, type Store } from '../../../node/store/open-store.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { MAX_RETIRED_PER_ORG, RetiredPeers, type RetiredPeer } from '../../../node/mesh/retired-peers.js'
import { fakeClock } from '../../helpers/clock.js'
import { acme, globex, principal } from '../../helpers/principals.js'

const peerOf = (name: string): string => peerIdStringFromPublicKey(principal(name).publicKey)
const oldPeer = peerOf('acme-node')
const newPeer = peerOf('acme-node-2')
const globexPeer = peerOf('globex-node')
const acme2 = principal('acme-2')

describe('node key rotation: replaced PeerIds', () => {
  let dir: string
  let store: Store
  beforeEach(async () => { dir = mkdtempSync(join(tmpdir(), 'tm-retpeer-')); store = await openStore(dir) })
  afterEach(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }) })

  it('a NodeCredential carries the PeerIds it replaces; malformed ones are refused naming the field', async () => {
    const clock = fakeClock()
    const jwt = await issueNodeCredential(acme, { peerId: newPeer, orgName: 'Acme', replaces: [oldPeer] }, { clock, ttlSeconds: 600 })
    const v = verifyNodeCredential(jwt, { clock, expectedIssuer: acme.did })
    expect(v.ok && v.value.subject.replaces).to.deep.equal([oldPeer])
    const plain = verifyNodeCredential(await issueNodeCredential(acme, { peerId: newPeer, orgName: 'Acme' }, { clock, ttlSeconds: 600 }), { clock, expectedIssuer: acme.did })
    expect(plain.ok && plain.value.subject.replaces).to.equal(undefined)
    const now = Math.floor(clock.now() / 1000)
    const forged = async (replaces: unknown): Promise<string> => await signJwt({
      iss: acme.did, sub: newPeer, iat: now, nbf: now, exp: now + 600, jti: `j-${Math.random()}`,
      vc: { '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiableCredential', 'NodeCredential'], credentialSubject: { id: newPeer, org: acme.did, orgName: 'Acme', replaces } }
    }, acme, { typ: 'JWT' })
    for (const [bad, why] of [[[], /non-empty array/], ['x', /non-empty array/], [['not-a-peer-id'], /replaces\[0\]/], [[newPeer], /names the node itself/], [[oldPeer, oldPeer, oldPeer, oldPeer, oldPeer], /at most 4/]] as const) {
      const r = verifyNodeCredential(await forged(bad), { clock, expectedIssuer: acme.did })
      expect(r.ok ? '' : r.error.code, JSON.stringify(bad)).to.equal('INVALID_CLAIMS')
      expect(r.ok ? '' : r.error.message).to.match(why)
    }
  })

  it('verifyHello refuses a retired PeerId with KEY_RETIRED, even with a valid NodeCredential; reports what a credential replaces', async () => {
    const clock = fakeClock()
    const retired = new RetiredPeers({ repo: store.repository<RetiredPeer>(SUBLEVELS.retiredPeers) })
    await retired.retire(acme.did, newPeer, Math.floor(clock.now() / 1000), [oldPeer])
    const hello = (nodeCredential: string): Parameters<typeof verifyHello>[0] => ({ v: 1, nodeCredential, orgName: 'Acme', software: 't', policyDigest: 'd' }) as never
    const opts = (remotePeerId: string): Parameters<typeof verifyHello>[1] => ({ remotePeerId, clock, enrolledOrg: (d) => d === acme.did ? { orgDid: acme.did } as never : undefined, peerRetired: (p, o) => retired.check(p, o) })
    const stale = verifyHello(hello(await issueNodeCredential(acme, { peerId: oldPeer, orgName: 'Acme' }, { clock, ttlSeconds: 600 })), opts(oldPeer))
    expect(stale.ok ? '' : stale.error.code).to.equal('KEY_RETIRED')
    expect(stale.ok ? '' : stale.error.message).to.include(newPeer)
    const fresh = verifyHello(hello(await issueNodeCredential(acme, { peerId: newPeer, orgName: 'Acme', replaces: [oldPeer] }, { clock, ttlSeconds: 600 })), opts(newPeer))
    expect(fresh.ok, fresh.ok ? '' : fresh.error.message).to.equal(true)
    expect(fresh.ok && fresh.value.replaces).to.deep.equal([oldPeer])
    expect(fresh.ok && fresh.value.credentialIssuedAt).to.equal(Math.floor(clock.now() / 1000))
  })

  it('a retirement counts only for the org that made it (and its successor DIDs), and persists', async () => {
    const sameOrg = (a: string, b: string): boolean => a === b || ([a, b].includes(acme.did) && [a, b].includes(acme2.did))
    const retired = new RetiredPeers({ repo: store.repository<RetiredPeer>(SUBLEVELS.retiredPeers), sameOrg })
    // acme tries to retire globex's node: recorded for acme only, so globex's node is not affected
    expect(await retired.retire(acme.did, newPeer, 100, [oldPeer, globexPeer])).to.deep.equal([oldPeer, globexPeer])
    expect(retired.check(globexPeer, globex.did).ok).to.equal(true)
    expect(retired.check(oldPeer, acme.did).ok).to.equal(false)
    expect(retired.check(oldPeer, acme2.did).ok, 'acme under its rotated org key').to.equal(false)
    // acme's claim does not stop globex retiring its own old node later; the node itself is never retired;
    // an org's second retirement of the same PeerId keeps the first
    expect(await retired.retire(globex.did, globexPeer, 200, [globexPeer])).to.deep.equal([])
    expect(await retired.retire(globex.did, peerOf('globex-node-2'), 300, [globexPeer])).to.deep.equal([globexPeer])
    expect(retired.check(globexPeer, globex.did).ok).to.equal(false)
    expect(await retired.retire(acme2.did, peerOf('acme-node-3'), 400, [oldPeer])).to.deep.equal([])
    const again = new RetiredPeers({ repo: store.repository<RetiredPeer>(SUBLEVELS.retiredPeers), sameOrg })
    await again.load()
    expect(again.get(oldPeer, acme.did)).to.deep.equal({ peerId: oldPeer, orgDid: acme.did, at: 100, by: newPeer })
    expect(again.check(globexPeer, globex.did).ok).to.equal(false)
  })

  it('storage stays bounded per org: made-up PeerIds at every hello evict only that org\'s oldest', async () => {
    const book = new RetiredPeers({ repo: store.repository<RetiredPeer>(SUBLEVELS.retiredPeers) })
    const fake = (i: number): string => peerIdStringFromPublicKey(principal(`made-up-${i}`).publicKey)
    const globexOld = fake(-1)
    await book.retire(globex.did, fake(-2), 1, [globexOld])
    for (let i = 0; i < 50; i++) await book.retire(acme.did, fake(1000 + i), 10 + i, [fake(4 * i), fake(4 * i + 1), fake(4 * i + 2), fake(4 * i + 3)])
    const stored = await store.repository<RetiredPeer>(SUBLEVELS.retiredPeers).list()
    expect(stored.filter(([, r]) => r.orgDid === acme.did)).to.have.length(MAX_RETIRED_PER_ORG)
    // the newest are kept, the oldest went; another org's retirement is untouched
    expect(book.check(fake(199), acme.did).ok).to.equal(false)
    expect(book.check(fake(0), acme.did).ok).to.equal(true)
    expect(book.check(globexOld, globex.did).ok).to.equal(false)
  })
})

