import { expect } from 'chai'
import { checkEd25519PublicKey } from '../../identity/ed25519-point.js'
import { didKeyFromPublicKey, parseDidKey, DidErrorCode } from '../../identity/did-key.js'
import { verifyEd25519 } from '../../identity/native-ed25519.js'
import { principal } from '../helpers/principals.js'

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))
const ff = (first: string): string => first + 'ff'.repeat(30) + '7f'

// small-order encodings (libsodium's blocklist, canonical ones)
const SMALL_ORDER = [
  '00'.repeat(32), // y = 0, x = sqrt(-1): order 4
  '01' + '00'.repeat(31), // identity, order 1
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  ff('ec') // y = p - 1, order 2
]

describe('Ed25519 public key checks', () => {
  it('accepts the RFC 8037 key and the fixed principals', () => {
    expect(checkEd25519PublicKey(hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'))).to.equal('ok')
    for (const n of ['alice', 'bob', 'acme', 'globex', 'k1', 'k2', 'k3', 'k4']) expect(checkEd25519PublicKey(principal(n).publicKey), n).to.equal('ok')
  })

  it('finds every small-order encoding', () => {
    for (const h of SMALL_ORDER) expect(checkEd25519PublicKey(hex(h)), h).to.equal('small-order')
  })

  it('refuses non-canonical and off-curve encodings', () => {
    expect(checkEd25519PublicKey(hex(ff('ed')))).to.equal('not-canonical') // y = p
    expect(checkEd25519PublicKey(hex(ff('ee')))).to.equal('not-canonical') // y = p + 1
    expect(checkEd25519PublicKey(hex('01' + '00'.repeat(30) + '80'))).to.equal('not-canonical') // x = 0 with sign bit
    expect(checkEd25519PublicKey(hex('02' + '00'.repeat(31)))).to.equal('not-on-curve')
  })

  it('the identity key really is forgeable natively, and parseDidKey refuses it', () => {
    const identity = hex('01' + '00'.repeat(31))
    const forged = new Uint8Array(64)
    forged[0] = 1 // R = identity, S = 0
    expect(verifyEd25519(identity, new Uint8Array([1, 2, 3]), forged)).to.equal(true)
    const r = parseDidKey(didKeyFromPublicKey(identity))
    expect(r.ok).to.equal(false)
    if (!r.ok) expect(r.error.code).to.equal(DidErrorCode.WEAK_PUBLIC_KEY)
    const r2 = parseDidKey(didKeyFromPublicKey(hex('02' + '00'.repeat(31))))
    if (!r2.ok) expect(r2.error.code).to.equal(DidErrorCode.INVALID_PUBLIC_KEY)
    expect(r2.ok).to.equal(false)
  })
})
