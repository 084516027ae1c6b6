import { expect } from 'chai'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { base58btc } from 'multiformats/bases/base58'
import {
  libp2pPrivateKeyFromSeed, peerIdFromPublicKeyBytes, peerIdStringFromPublicKey, publicKeyFromPeerIdString, PeerIdErrorCode
} from '../../identity/peer-id.js'
import { Ed25519Signer } from '../../identity/signer.js'
import { alice } from '../helpers/principals.js'

const RFC8037_D = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
const RFC8037_X = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
const RFC8037_PEER_ID = '12D3KooWQK1wnefoLrcVHbbnf5tLzbopUd3K3bFAoJpA7YJgL5pV'

describe('peer-id', () => {
  it('derives the known PeerId of the RFC 8037 key', async () => {
    const x = Buffer.from(RFC8037_X, 'hex')
    expect(peerIdStringFromPublicKey(x)).to.equal(RFC8037_PEER_ID)
    expect(peerIdFromPublicKeyBytes(x).type).to.equal('Ed25519')
    const priv = await libp2pPrivateKeyFromSeed(Buffer.from(RFC8037_D, 'hex'))
    expect(peerIdFromPrivateKey(priv).toString()).to.equal(RFC8037_PEER_ID)
  })

  it('round-trips a PeerId to the same public key as the Signer of the same seed', async () => {
    const seed = alice.exportSeed()
    const priv = await libp2pPrivateKeyFromSeed(seed)
    const id = peerIdFromPrivateKey(priv).toString()
    const r = publicKeyFromPeerIdString(id)
    expect(r.ok).to.equal(true)
    if (r.ok) expect(Buffer.from(r.value).equals(Buffer.from(new Ed25519Signer(seed).publicKey))).to.equal(true)
  })

  it('refuses wrong key and seed lengths', async () => {
    expect(() => peerIdFromPublicKeyBytes(new Uint8Array(31))).to.throw(RangeError)
    expect(() => peerIdFromPublicKeyBytes(new Uint8Array(33))).to.throw(RangeError)
    let threw = false
    try { await libp2pPrivateKeyFromSeed(new Uint8Array(31)) } catch { threw = true }
    expect(threw).to.equal(true)
  })

  it('accepts only the canonical base58 form of an Ed25519 PeerId', async () => {
    const cid = peerIdFromPublicKeyBytes(Buffer.from(RFC8037_X, 'hex')).toCID().toString()
    const secp = peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()
    const cases: Array<[string, unknown, string]> = [
      ['empty', '', PeerIdErrorCode.INVALID_PEER_ID],
      ['number', 7, PeerIdErrorCode.INVALID_PEER_ID],
      ['did', alice.did, PeerIdErrorCode.INVALID_PEER_ID],
      ['truncated', RFC8037_PEER_ID.slice(0, -1), PeerIdErrorCode.INVALID_PEER_ID],
      ['extended', RFC8037_PEER_ID + '1', PeerIdErrorCode.INVALID_PEER_ID],
      ['CID form', cid, PeerIdErrorCode.INVALID_PEER_ID],
      ['multibase prefix', 'z' + RFC8037_PEER_ID, PeerIdErrorCode.INVALID_PEER_ID],
      ['sha256 (RSA) PeerId', 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', PeerIdErrorCode.UNSUPPORTED_PEER_ID_KEY_TYPE],
      ['secp256k1', secp, PeerIdErrorCode.UNSUPPORTED_PEER_ID_KEY_TYPE],
      ['non-ASCII', RFC8037_PEER_ID.slice(0, 10) + '\uFFFD' + RFC8037_PEER_ID.slice(11), PeerIdErrorCode.INVALID_PEER_ID],
      ['huge', '12D3KooW' + 'a'.repeat(1000), PeerIdErrorCode.INVALID_PEER_ID],
      ['raw key bytes', base58btc.encode(Buffer.from(RFC8037_X, 'hex')).slice(1), PeerIdErrorCode.INVALID_PEER_ID]
    ]
    for (const [name, input, code] of cases) {
      const r = publicKeyFromPeerIdString(input)
      expect(r.ok, name).to.equal(false)
      if (!r.ok) expect(r.error.code, name).to.equal(code)
    }
    for (let n = 0; n < RFC8037_PEER_ID.length; n++) expect(publicKeyFromPeerIdString(RFC8037_PEER_ID.slice(0, n)).ok, `length ${n}`).to.equal(false)
  })
})
