/**
 * Known-answer tests from published vectors (copied into test/vectors/): Wycheproof's Ed25519
 * signatures against the native verifier and the strict did:key key check, and the did-method-key
 * vectors (seed -> public key -> did:key) against the signer and the did:key codec.
 */
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { base58btc } from 'multiformats/bases/base58'
import { verifyEd25519 } from '../../identity/native-ed25519.js'
import { didKeyFromPublicKey, parseDidKey } from '../../identity/did-key.js'
import { Ed25519Signer } from '../../identity/signer.js'

// from dist/test/identity/ back to the repository's test/vectors/
const vectors = (name: string): unknown => JSON.parse(readFileSync(fileURLToPath(new URL(`../../../test/vectors/${name}`, import.meta.url)), 'utf8'))
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

interface WycheproofTest { tcId: number, comment: string, flags: string[], msg: string, sig: string, result: 'valid' | 'invalid' }
interface WycheproofFile { numberOfTests: number, testGroups: Array<{ publicKey: { pk: string }, tests: WycheproofTest[] }> }

describe('known answers', () => {
  describe('Wycheproof Ed25519 (strict RFC 8032)', () => {
    const file = vectors('ed25519_test.json') as WycheproofFile
    const all = file.testGroups.flatMap(g => g.tests.map(t => ({ pk: g.publicKey.pk, t })))

    it('holds every vector of the file', () => {
      expect(all).to.have.length(file.numberOfTests)
      expect(all.filter(x => x.t.result === 'valid').length).to.be.greaterThan(10)
      expect(all.filter(x => x.t.result === 'invalid').length).to.be.greaterThan(10)
    })

    it('the native verifier gives the expected verdict for every vector', () => {
      const wrong = all.filter(({ pk, t }) => verifyEd25519(hex(pk), hex(t.msg), hex(t.sig)) !== (t.result === 'valid'))
        .map(({ t }) => `tcId ${t.tcId} (${t.comment || t.flags.join(',')}): expected ${t.result}`)
      expect(wrong).to.deep.equal([])
    })

    it('every public key of the file is a usable did:key (the valid vectors are not refused for their key)', () => {
      for (const g of file.testGroups) {
        if (!g.tests.some(t => t.result === 'valid')) continue
        const did = didKeyFromPublicKey(hex(g.publicKey.pk))
        const parsed = parseDidKey(did)
        expect(parsed.ok ? Buffer.from(parsed.value).toString('hex') : parsed.error.code).to.equal(g.publicKey.pk)
      }
    })
  })

  describe('did-method-key Ed25519 vectors', () => {
    const file = vectors('ed25519-x25519.json') as Record<string, { seed: string, verificationKeyPair: { controller: string, publicKeyBase58?: string, publicKeyJwk?: { kty: string, crv: string, x: string } } }>
    // each vector gives the key either in base58 or as an OKP JWK
    const keyOf = (k: { publicKeyBase58?: string, publicKeyJwk?: { kty: string, crv: string, x: string } }): Uint8Array => {
      if (k.publicKeyBase58 != null) return base58btc.baseDecode(k.publicKeyBase58)
      expect([k.publicKeyJwk?.kty, k.publicKeyJwk?.crv]).to.deep.equal(['OKP', 'Ed25519'])
      return new Uint8Array(Buffer.from(k.publicKeyJwk?.x ?? '', 'base64url'))
    }
    const entries = Object.entries(file)

    it('has vectors', () => { expect(entries.length).to.be.greaterThan(0) })

    it('each seed gives the published public key and did:key, and the did:key parses back to that key', () => {
      for (const [did, v] of entries) {
        const publicKey = keyOf(v.verificationKeyPair)
        expect(publicKey).to.have.length(32)
        const signer = new Ed25519Signer(hex(v.seed))
        expect(Buffer.from(signer.publicKey).toString('hex'), did).to.equal(Buffer.from(publicKey).toString('hex'))
        expect(signer.did).to.equal(did)
        expect(didKeyFromPublicKey(publicKey)).to.equal(did)
        expect(v.verificationKeyPair.controller).to.equal(did)
        const parsed = parseDidKey(did)
        expect(parsed.ok ? Buffer.from(parsed.value).toString('hex') : parsed.error.code).to.equal(Buffer.from(publicKey).toString('hex'))
      }
    })
  })
})
