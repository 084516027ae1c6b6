import { expect } from 'chai'
import { base58btc } from 'multiformats/bases/base58'
import { didKeyFromPublicKey, parseDidKey, DidErrorCode } from '../../identity/did-key.js'
import { Ed25519Signer } from '../../identity/signer.js'

const RFC8037_D = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
const RFC8037_X = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
const RFC8037_DID = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw'

describe('did:key', () => {
  it('encodes the RFC 8037 key to its known DID and back', () => {
    const x = Buffer.from(RFC8037_X, 'hex')
    expect(didKeyFromPublicKey(x)).to.equal(RFC8037_DID)
    const r = parseDidKey(RFC8037_DID)
    expect(r.ok).to.equal(true)
    if (r.ok) expect(Buffer.from(r.value).toString('hex')).to.equal(RFC8037_X)
  })

  it('derives the public key and DID from the RFC 8037 private key', () => {
    const s = new Ed25519Signer(Buffer.from(RFC8037_D, 'hex'))
    expect(Buffer.from(s.publicKey).toString('hex')).to.equal(RFC8037_X)
    expect(s.did).to.equal(RFC8037_DID)
  })

  const bad: Array<[string, unknown, string]> = [
    ['empty', '', DidErrorCode.INVALID_DID],
    ['not a string', 42, DidErrorCode.INVALID_DID],
    ['not a did', 'key:z6Mk', DidErrorCode.INVALID_DID],
    ['web method', 'did:web:example.com', DidErrorCode.UNSUPPORTED_DID_METHOD],
    ['extra segment', RFC8037_DID + ':x', DidErrorCode.INVALID_DID],
    ['base64 multibase', 'did:key:m7QEDI', DidErrorCode.INVALID_MULTIBASE],
    ['bad base58', 'did:key:z0OIl', DidErrorCode.INVALID_MULTIBASE],
    ['secp256k1 codec', 'did:key:' + base58btc.encode(new Uint8Array([0xe7, 0x01, ...new Uint8Array(33)])), DidErrorCode.UNSUPPORTED_KEY_TYPE],
    ['truncated key', 'did:key:' + base58btc.encode(new Uint8Array([0xed, 0x01, ...new Uint8Array(31)])), DidErrorCode.INVALID_PUBLIC_KEY_LENGTH],
    ['long key', 'did:key:' + base58btc.encode(new Uint8Array([0xed, 0x01, ...new Uint8Array(33)])), DidErrorCode.INVALID_PUBLIC_KEY_LENGTH],
    ['huge', 'did:key:z' + 'a'.repeat(10_000), DidErrorCode.INVALID_DID],
    // found by the byte-flip corpus: the base-x decoder maps U+FFFD to garbage bytes instead of failing
    ['non-ASCII character', RFC8037_DID.slice(0, 14) + '\uFFFD' + RFC8037_DID.slice(15), DidErrorCode.INVALID_MULTIBASE],
    ['non-ASCII character 2', RFC8037_DID.slice(0, 20) + '\u0100' + RFC8037_DID.slice(21), DidErrorCode.INVALID_MULTIBASE]
  ]
  it('rejects every truncation of a valid DID', () => {
    for (let n = 0; n < RFC8037_DID.length; n++) expect(parseDidKey(RFC8037_DID.slice(0, n)).ok, `length ${n}`).to.equal(false)
  })

  for (const [name, input, code] of bad) {
    it(`rejects ${name} with ${code}`, () => {
      const r = parseDidKey(input)
      expect(r.ok).to.equal(false)
      if (!r.ok) expect(r.error.code).to.equal(code)
    })
  }
})
