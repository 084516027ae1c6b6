/**
 * `trustmesh doctor` and node keys (issue 19): a node key in a file names how to move it to a PKCS#11
 * token (a rotation); a node key rotation that waits for the node's restart (identity.json
 * names a PeerId the NodeCredential is not for) is a warning with the fix, not a failure.
 */
import { expect } from 'chai'
import { checkKeyLocations, checkNodeCredential } from '../../../node/doctor/checks.js'
import { issueNodeCredential } from '../../../identity/credentials.js'
import { peerIdStringFromPublicKey } from '../../../identity/peer-id.js'
import type { IdentityFile } from '../../../node/identity-file.js'
import { fakeClock } from '../../helpers/clock.js'
import { acme, principal } from '../../helpers/principals.js'

const oldPeer = peerIdStringFromPublicKey(principal('acme-node').publicKey)
const newPeer = peerIdStringFromPublicKey(principal('acme-node-2').publicKey)

describe('doctor: node keys', () => {
  it('says where the node key lives and, for a file key, how to move it to a token', () => {
    const [org, node] = checkKeyLocations([{ key: 'org', where: 'file', path: '/d/keys/org.key' }, { key: 'node-2', where: 'file', path: '/d/keys/node-2.key' }] as never)
    expect(org.message).to.not.include('PKCS#11')
    expect(node).to.include({ id: 'keys.node-2.location', ok: true })
    expect(node.message).to.match(/on a PKCS#11 token: `trustmesh identity rotate --node-key --pkcs11-module/)
    const [onToken] = checkKeyLocations([{ key: 'node', where: 'pkcs11', module: '/m.so', token: 't', label: 'trustmesh-node', did: 'did:key:z6Mkx' }] as never)
    expect(onToken.message).to.include('PKCS#11 token "t"').and.not.include('rotate')
  })

  it('a node key rotation waiting for the restart is a warning naming both PeerIds; after it, a pass', async () => {
    const clock = fakeClock()
    const identity = { version: 1, orgDid: acme.did, orgName: 'acme', peerId: newPeer, nodeDid: 'did:key:z6Mkx', createdAt: '' } as IdentityFile
    const old = await issueNodeCredential(acme, { peerId: oldPeer, orgName: 'acme' }, { clock, ttlSeconds: 30 * 86_400 })
    const pending = checkNodeCredential({ present: true, text: old } as never, '/d/node-credential.jwt', identity, clock.now())
    expect(pending).to.include({ id: 'credential.node', ok: false, severity: 'warning' })
    expect(pending.message).to.include(oldPeer).and.include(newPeer)
    expect(pending.fix).to.match(/restart the node/)
    const fresh = await issueNodeCredential(acme, { peerId: newPeer, orgName: 'acme', replaces: [oldPeer] }, { clock, ttlSeconds: 30 * 86_400 })
    expect(checkNodeCredential({ present: true, text: fresh } as never, '/d/node-credential.jwt', identity, clock.now())).to.include({ ok: true })
  })
})
