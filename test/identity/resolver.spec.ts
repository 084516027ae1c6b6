import { expect } from 'chai'
import { createKeyResolver, didKeyDocument } from '../../identity/resolver.js'
import { verifyCredential, verifyCredentialDidJwt, CredentialErrorCode } from '../../identity/credentials.js'
import { DidErrorCode } from '../../identity/did-key.js'
import { acme, alice } from '../helpers/principals.js'
import { fakeClock } from '../helpers/clock.js'
import { agentPayload, EDDSA, forge } from './forge.js'

const RFC8037_DID = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw'

describe('key-only DID resolver', () => {
  const realFetch = globalThis.fetch
  let fetchCalls = 0
  beforeEach(() => {
    fetchCalls = 0
    globalThis.fetch = (async () => { fetchCalls++; throw new Error('network access attempted') }) as typeof fetch
  })
  afterEach(() => { globalThis.fetch = realFetch })

  it('resolves an Ed25519 did:key to a document with one Ed25519VerificationKey2018', async () => {
    const r = await createKeyResolver().resolve(RFC8037_DID)
    expect(r.didResolutionMetadata.error).to.equal(undefined)
    const doc = r.didDocument
    expect(doc?.id).to.equal(RFC8037_DID)
    expect(doc?.verificationMethod).to.have.length(1)
    const vm = doc?.verificationMethod?.[0]
    expect(vm?.type).to.equal('Ed25519VerificationKey2018')
    expect(vm?.id).to.equal(`${RFC8037_DID}#z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw`)
    // base58 of the raw key, computed independently
    expect(vm?.publicKeyBase58).to.equal('FVen3X669xLzsi6N2V91DoiyzHzg1uAgqiT8jZ9nS96Z')
    expect(doc?.assertionMethod).to.deep.equal([vm?.id])
    expect(didKeyDocument(RFC8037_DID, Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex'))).to.deep.equal(doc)
  })

  it('fails malformed did:keys and every other method without touching the network', async () => {
    const resolver = createKeyResolver()
    for (const did of ['did:web:acme.example', 'did:ethr:0x1234', 'did:plc:abc', 'did:ion:xyz']) {
      const r = await resolver.resolve(did)
      expect(r.didDocument, did).to.equal(null)
      expect(r.didResolutionMetadata.error, did).to.equal('unsupportedDidMethod')
    }
    for (const did of [RFC8037_DID.slice(0, 40), 'did:key:z6Mk0OIl', 'not-a-did']) {
      const r = await resolver.resolve(did)
      expect(r.didDocument, did).to.equal(null)
      expect(r.didResolutionMetadata.error, did).to.equal('invalidDid')
    }
    expect(fetchCalls).to.equal(0)
  })

  it('rejects a credential from an unknown DID method on both paths, offline', async () => {
    const clock = fakeClock()
    const t = await forge(EDDSA, agentPayload('did:web:acme.example', alice.did, clock, {}, {}), acme)
    const a = verifyCredential(t, { clock })
    const b = await verifyCredentialDidJwt(t, { clock })
    for (const r of [a, b]) {
      expect(r.ok).to.equal(false)
      if (!r.ok) expect(r.error.code).to.equal(DidErrorCode.UNSUPPORTED_DID_METHOD)
    }
    expect(fetchCalls).to.equal(0)
    // and the stub is live: the same test would notice a fetch
    await globalThis.fetch('http://192.0.2.1/').catch(() => {})
    expect(fetchCalls).to.equal(1)
    expect(CredentialErrorCode.BAD_SIGNATURE).to.equal('BAD_SIGNATURE')
  })
})
