/**
 * The libp2p private key backed by a Signer (the node key on a token): libp2p's signatures come
 * from the signer and verify under the PeerId's public key, and the private bytes cannot be read.
 */
import { expect } from 'chai'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { KeyNotExtractableError, libp2pPrivateKeyFromSigner } from '../../../node/libp2p/signer-private-key.js'
import { libp2pPrivateKeyFromSeed, peerIdStringFromPublicKey } from '../../../identity/peer-id.js'
import type { Signer } from '../../../identity/signer.js'
import { principal } from '../../helpers/principals.js'

describe('libp2pPrivateKeyFromSigner (node key on a token)', () => {
  const node = principal('node-on-token')
  let calls = 0
  const signer: Signer = { did: node.did, publicKey: node.publicKey, algorithm: 'EdDSA', sign: async (d) => { calls++; return await node.sign(d) } }

  it('signs through the signer; the signature verifies under the key libp2p derives the PeerId from', async () => {
    const key = libp2pPrivateKeyFromSigner(signer, 'PKCS#11 token t1')
    const data = new TextEncoder().encode('noise-libp2p-static-key:...')
    const before = calls
    const sig = await key.sign(data)
    expect(calls).to.equal(before + 1)
    expect(await publicKeyFromRaw(node.publicKey).verify(data, sig)).to.equal(true)
    expect(peerIdFromPrivateKey(key).toString()).to.equal(peerIdStringFromPublicKey(node.publicKey))
  })

  it('signs a list of chunks (libp2p\'s Uint8ArrayList) as its joined bytes', async () => {
    const key = libp2pPrivateKeyFromSigner(signer)
    const chunks = [new Uint8Array([1, 2]), new Uint8Array([3])]
    const list = { subarray: () => Uint8Array.from(chunks.flatMap(c => [...c])) } // the one method it has that sign uses
    const sig = await key.sign(list as unknown as Parameters<typeof key.sign>[0])
    expect(await publicKeyFromRaw(node.publicKey).verify(new Uint8Array([1, 2, 3]), sig)).to.equal(true)
  })

  it('refuses to give out its private bytes, naming where the key is held', () => {
    const key = libp2pPrivateKeyFromSigner(signer, 'PKCS#11 token t1')
    expect(() => key.raw).to.throw(KeyNotExtractableError, /PKCS#11 token t1/)
  })

  it('equals the file key of the same public key and nothing else', async () => {
    const key = libp2pPrivateKeyFromSigner(signer)
    expect(key.equals(await libp2pPrivateKeyFromSeed(new Uint8Array(32).fill(9)))).to.equal(false)
    expect(key.equals(libp2pPrivateKeyFromSigner(signer))).to.equal(true)
    expect(key.equals(undefined)).to.equal(false)
  })
})
