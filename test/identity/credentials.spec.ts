import { expect } from 'chai'
import { base58btc } from 'multiformats/bases/base58'
import { createJWS, decodeJWT } from 'did-jwt'
import {
  issueAgentCredential, issueNodeCredential, verifyCredential, verifyAgentCredential, verifyNodeCredential,
  CredentialError, CredentialErrorCode as C, type VerifyCredentialOptions
} from '../../identity/credentials.js'
import { didJwtSigner } from '../../identity/did-jwt-signer.js'
import { DidErrorCode, didKeyFromPublicKey } from '../../identity/did-key.js'
import { peerIdStringFromPublicKey, PeerIdErrorCode } from '../../identity/peer-id.js'
import { Ed25519Signer } from '../../identity/signer.js'
import { verifyEd25519 } from '../../identity/native-ed25519.js'
import { acme, alice, bob, globex, principal } from '../helpers/principals.js'
import { fakeClock } from '../helpers/clock.js'
import { agentPayload, EDDSA, everyBitFlip, forge, nodePayload, type Json } from './forge.js'

const RFC8037_D = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
const RFC8037_INPUT = 'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc'
const RFC8037_SIG = 'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg'

const nodeKey = principal('acme-node-1')
const nodePeerId = peerIdStringFromPublicKey(nodeKey.publicKey)
const T0 = Date.UTC(2026, 0, 1)

function expectCode (r: { ok: boolean, error?: { code: string } }, code: string, what = ''): void {
  expect(r.ok, `${what} should be rejected with ${code}`).to.equal(false)
  if (!r.ok) expect(r.error?.code, what).to.equal(code)
}

describe('credentials', () => {
  const clock = fakeClock(T0)
  const opts = (extra: Partial<VerifyCredentialOptions> = {}): VerifyCredentialOptions => ({ clock, expectedIssuer: acme.did, ...extra })
  beforeEach(() => { clock.set(T0) })

  describe('RFC 8037 known answers', () => {
    it('signs the Appendix A signing input to the published signature', async () => {
      const s = new Ed25519Signer(Buffer.from(RFC8037_D, 'hex'))
      const sig = await s.sign(new Uint8Array(Buffer.from(RFC8037_INPUT, 'ascii')))
      expect(Buffer.from(sig).toString('base64url')).to.equal(RFC8037_SIG)
      expect(verifyEd25519(s.publicKey, new Uint8Array(Buffer.from(RFC8037_INPUT, 'ascii')), sig)).to.equal(true)
    })

    it('produces the same JWS through did-jwt with our signer adapter', async () => {
      const s = new Ed25519Signer(Buffer.from(RFC8037_D, 'hex'))
      const jws = await createJWS('RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc', didJwtSigner(s), { alg: 'EdDSA' })
      expect(jws).to.equal(`${RFC8037_INPUT}.${RFC8037_SIG}`)
    })
  })

  describe('issue and verify', () => {
    it('issues an AgentCredential that verifies with its claims', async () => {
      const jwt = await issueAgentCredential(acme, { agentDid: alice.did, name: 'alice', ring: 2, capabilities: ['records/read'] }, { clock, ttlSeconds: 3600 })
      const d = decodeJWT(jwt)
      expect(d.header).to.deep.equal({ alg: 'EdDSA', typ: 'JWT' })
      expect(d.payload.jti).to.match(/^urn:uuid:[0-9a-f-]{36}$/)
      const r = verifyAgentCredential(jwt, opts())
      expect(r.ok, JSON.stringify(r)).to.equal(true)
      if (!r.ok) return
      expect(r.value.type).to.equal('AgentCredential')
      expect(r.value.issuer).to.equal(acme.did)
      expect(r.value.subject).to.deep.equal({ id: alice.did, name: 'alice', ring: 2, capabilities: ['records/read'], org: acme.did })
      expect(r.value.expiresAt - r.value.issuedAt).to.equal(3600)
      expect(Buffer.from(r.value.subjectPublicKey).equals(Buffer.from(alice.publicKey))).to.equal(true)
    })

    it('issues a NodeCredential binding a PeerId to the org', async () => {
      const jwt = await issueNodeCredential(acme, { peerId: nodePeerId, orgName: 'Acme' }, { clock, ttlSeconds: 600 })
      const r = verifyNodeCredential(jwt, opts())
      expect(r.ok, JSON.stringify(r)).to.equal(true)
      if (!r.ok) return
      expect(r.value.subject).to.deep.equal({ id: nodePeerId, org: acme.did, orgName: 'Acme' })
      expect(Buffer.from(r.value.subjectPublicKey).equals(Buffer.from(nodeKey.publicKey))).to.equal(true)
      expectCode(verifyAgentCredential(jwt, opts()), C.WRONG_TYPE, 'node credential read as agent credential')
    })

    it('gives each credential a unique jti', async () => {
      const claims = { agentDid: alice.did, name: 'alice', ring: 3, capabilities: [] }
      const a = decodeJWT(await issueAgentCredential(acme, claims, { clock, ttlSeconds: 60 })).payload.jti
      const b = decodeJWT(await issueAgentCredential(acme, claims, { clock, ttlSeconds: 60 })).payload.jti
      expect(a).to.not.equal(b)
    })

    it('refuses to issue bad claims', async () => {
      const base = { agentDid: alice.did, name: 'alice', ring: 2, capabilities: ['records/read'] }
      const cases: Array<[Json, string]> = [
        [{ ring: 0 }, C.INVALID_CLAIMS], [{ ring: 4 }, C.INVALID_CLAIMS], [{ ring: 1.5 }, C.INVALID_CLAIMS],
        [{ agentDid: 'did:web:x' }, DidErrorCode.UNSUPPORTED_DID_METHOD], [{ name: '' }, C.INVALID_CLAIMS],
        [{ capabilities: ['a//b'] }, C.INVALID_CLAIMS], [{ capabilities: ['records/*/x'] }, C.INVALID_CLAIMS]
      ]
      for (const [over, code] of cases) {
        try {
          await issueAgentCredential(acme, { ...base, ...over } as typeof base, { clock, ttlSeconds: 60 })
          expect.fail(`issued ${JSON.stringify(over)}`)
        } catch (err) {
          expect(err).to.be.instanceOf(CredentialError)
          expect((err as CredentialError).code, JSON.stringify(over)).to.equal(code)
        }
      }
      for (const ttl of [0, -1, 1.5]) {
        try {
          await issueAgentCredential(acme, base, { clock, ttlSeconds: ttl })
          expect.fail(`issued ttl ${ttl}`)
        } catch (err) { expect((err as CredentialError).code).to.equal(C.INVALID_CLAIMS) }
      }
      try {
        await issueNodeCredential(acme, { peerId: alice.did, orgName: 'Acme' }, { clock, ttlSeconds: 60 })
        expect.fail('issued a node credential to a DID')
      } catch (err) { expect((err as CredentialError).code).to.equal(PeerIdErrorCode.INVALID_PEER_ID) }
    })

    it('accepts a legacy Ed25519 alias only with the flag', async () => {
      const jwt = await forge({ alg: 'Ed25519', typ: 'JWT' }, agentPayload(acme.did, alice.did, clock), acme)
      expectCode(verifyCredential(jwt, opts()), C.UNSUPPORTED_ALG, 'Ed25519 alias')
      expect(verifyCredential(jwt, opts({ allowEd25519Alias: true })).ok).to.equal(true)
    })

    it('refuses a skew above 60 s as a programming error', () => {
      expect(() => verifyCredential('x', opts({ skewSeconds: 61 }))).to.throw(RangeError)
    })
  })

  describe('bad input, each with its own reason code', () => {
    let good: string
    before(async () => {
      good = await forge(EDDSA, agentPayload(acme.did, alice.did, fakeClock(T0)), acme)
    })

    it('accepts the unmodified token (control)', () => {
      expect(verifyCredential(good, opts()).ok).to.equal(true)
    })

    it('rejects every single-bit flip of header, payload and signature', () => {
      const [h, p] = good.split('.')
      const allowed = {
        header: new Set([C.MALFORMED_TOKEN, C.UNSUPPORTED_ALG, C.BAD_SIGNATURE]),
        payload: new Set([C.MALFORMED_TOKEN, C.BAD_SIGNATURE, C.MISSING_EXP, C.INVALID_CLAIMS, ...Object.values(DidErrorCode)]),
        signature: new Set([C.MALFORMED_TOKEN, C.BAD_SIGNATURE])
      }
      const seen = { header: new Set<string>(), payload: new Set<string>(), signature: new Set<string>() }
      for (const { index, token } of everyBitFlip(good)) {
        const part = index < h.length ? 'header' : index < h.length + 1 + p.length ? 'payload' : 'signature'
        const r = verifyCredential(token, opts())
        expect(r.ok, `flip at ${index} (${part}) accepted`).to.equal(false)
        if (!r.ok) {
          expect(allowed[part].has(r.error.code as never), `flip at ${index} (${part}): ${r.error.code}`).to.equal(true)
          seen[part].add(r.error.code)
        }
      }
      // the signature check itself was reached for flips in every part
      for (const part of ['header', 'payload', 'signature'] as const) expect([...seen[part]], part).to.include(C.BAD_SIGNATURE)
    })

    it('rejects alg none', async () => {
      const t = await forge({ alg: 'none', typ: 'JWT' }, agentPayload(acme.did, alice.did, clock), { none: true })
      expectCode(verifyCredential(t, opts()), C.UNSUPPORTED_ALG, 'alg none')
      const t2 = await forge({ alg: 'none', typ: 'JWT' }, agentPayload(acme.did, alice.did, clock), acme)
      expectCode(verifyCredential(t2, opts()), C.UNSUPPORTED_ALG, 'alg none with a real signature')
    })

    it('rejects HS256 keyed with the issuer public key (algorithm confusion)', async () => {
      for (const key of [acme.publicKey, new Uint8Array(Buffer.from(acme.did))]) {
        const t = await forge({ alg: 'HS256', typ: 'JWT' }, agentPayload(acme.did, alice.did, clock), { hs256Key: key })
        expectCode(verifyCredential(t, opts()), C.UNSUPPORTED_ALG, 'HS256')
      }
    })

    it('rejects a small-order issuer key whose trivial signature Ed25519 itself accepts', async () => {
      const weak = didKeyFromPublicKey(new Uint8Array([1, ...new Uint8Array(31)]))
      const t = (await forge(EDDSA, agentPayload(weak, alice.did, clock), { none: true })) + Buffer.from([1, ...new Uint8Array(63)]).toString('base64url')
      expectCode(verifyCredential(t, { clock }), DidErrorCode.WEAK_PUBLIC_KEY)
    })

    it('rejects a token signed by another key than its iss', async () => {
      expectCode(verifyCredential(await forge(EDDSA, agentPayload(acme.did, alice.did, clock), globex), opts()), C.BAD_SIGNATURE)
    })

    it('rejects an agent credential signed by another org', async () => {
      const t = await forge(EDDSA, agentPayload(globex.did, alice.did, clock), globex)
      expect(verifyCredential(t, { clock }).ok, 'valid without an expected issuer').to.equal(true)
      expectCode(verifyCredential(t, opts()), C.WRONG_ISSUER)
      expect(verifyCredential(t, opts({ expectedIssuer: [acme.did, globex.did] })).ok).to.equal(true)
    })

    const timeCases: Array<[string, (now: number) => Json, string]> = [
      ['missing exp', () => ({ exp: undefined }), C.MISSING_EXP],
      ['null exp', () => ({ exp: null }), C.MISSING_EXP],
      ['string exp', (n) => ({ exp: String(n + 3600) }), C.INVALID_CLAIMS],
      ['fractional exp', (n) => ({ exp: n + 3600.5 }), C.INVALID_CLAIMS],
      ['zero exp', () => ({ exp: 0 }), C.INVALID_CLAIMS],
      ['missing iat', () => ({ iat: undefined }), C.INVALID_CLAIMS],
      ['string nbf', (n) => ({ nbf: String(n) }), C.INVALID_CLAIMS],
      ['past exp', (n) => ({ iat: n - 7200, nbf: n - 7200, exp: n - 3600 }), C.EXPIRED],
      ['exp just past the skew', (n) => ({ iat: n - 7200, nbf: n - 7200, exp: n - 60 }), C.EXPIRED],
      ['future nbf', (n) => ({ nbf: n + 120 }), C.NOT_YET_VALID],
      ['future iat without nbf', (n) => ({ nbf: undefined, iat: n + 120 }), C.ISSUED_IN_FUTURE],
      ['future iat with a valid nbf', (n) => ({ nbf: n, iat: n + 120 }), C.ISSUED_IN_FUTURE],
      ['missing jti', () => ({ jti: undefined }), C.MISSING_JTI],
      ['numeric jti', () => ({ jti: 7 }), C.INVALID_CLAIMS]
    ]
    for (const [name, over, code] of timeCases) {
      it(`rejects ${name} with ${code}`, async () => {
        const t = await forge(EDDSA, agentPayload(acme.did, alice.did, clock, over(T0 / 1000)), acme)
        expectCode(verifyCredential(t, opts()), code, name)
      })
    }

    it('honours the skew exactly at its edges', async () => {
      const n = T0 / 1000
      const ok1 = await forge(EDDSA, agentPayload(acme.did, alice.did, clock, { nbf: n + 60, iat: n + 60 }), acme)
      expect(verifyCredential(ok1, opts()).ok).to.equal(true)
      const ok2 = await forge(EDDSA, agentPayload(acme.did, alice.did, clock, { iat: n - 7200, nbf: n - 7200, exp: n - 59 }), acme)
      expect(verifyCredential(ok2, opts()).ok).to.equal(true)
      expectCode(verifyCredential(ok2, opts({ skewSeconds: 0 })), C.EXPIRED)
    })

    it('expires with the clock', async () => {
      const jwt = await issueAgentCredential(acme, { agentDid: alice.did, name: 'alice', ring: 2, capabilities: [] }, { clock, ttlSeconds: 3600 })
      clock.advance((3600 + 59) * 1000)
      expect(verifyCredential(jwt, opts()).ok).to.equal(true)
      clock.advance(1000)
      expectCode(verifyCredential(jwt, opts()), C.EXPIRED)
    })

    const short = 'did:key:' + base58btc.encode(new Uint8Array([0xed, 0x01, ...acme.publicKey.subarray(0, 31)]))
    const long = 'did:key:' + base58btc.encode(new Uint8Array([0xed, 0x01, ...acme.publicKey, 0]))
    const secp = 'did:key:' + base58btc.encode(new Uint8Array([0xe7, 0x01, ...new Uint8Array(33).fill(2)]))
    const didCases: Array<[string, unknown, string]> = [
      ['unknown method', 'did:web:acme.example', DidErrorCode.UNSUPPORTED_DID_METHOD],
      // truncating base58 text changes the leading bytes too, so the multicodec no longer reads 0xed01
      ['truncated did:key', acme.did.slice(0, 30), DidErrorCode.UNSUPPORTED_KEY_TYPE],
      ['no method-specific id', 'did:key:', DidErrorCode.INVALID_MULTIBASE],
      ['not a DID', 'acme', DidErrorCode.INVALID_DID],
      ['missing', undefined, DidErrorCode.INVALID_DID],
      ['a number', 42, DidErrorCode.INVALID_DID],
      ['DID URL with fragment', `${acme.did}#${acme.did.slice(8)}`, DidErrorCode.INVALID_MULTIBASE],
      ['bad base58', 'did:key:z6Mk0OIl', DidErrorCode.INVALID_MULTIBASE],
      ['31-byte key', short, DidErrorCode.INVALID_PUBLIC_KEY_LENGTH],
      ['33-byte key', long, DidErrorCode.INVALID_PUBLIC_KEY_LENGTH],
      ['secp256k1 key', secp, DidErrorCode.UNSUPPORTED_KEY_TYPE]
    ]
    for (const [name, did, code] of didCases) {
      it(`rejects an issuer DID that is ${name} with ${code}`, async () => {
        const t = await forge(EDDSA, agentPayload(acme.did, alice.did, clock, { iss: did }, { org: did }), acme)
        expectCode(verifyCredential(t, opts()), code, name)
      })
      if (typeof did === 'string') {
        it(`rejects a subject DID that is ${name} with ${code}`, async () => {
          const t = await forge(EDDSA, agentPayload(acme.did, alice.did, clock, { sub: did }, { id: did }), acme)
          expectCode(verifyCredential(t, opts()), code, name)
        })
      }
    }

    const claimCases: Array<[string, Json, Json, string]> = [
      ['ring 0', {}, { ring: 0 }, C.INVALID_CLAIMS],
      ['ring 4', {}, { ring: 4 }, C.INVALID_CLAIMS],
      ['string ring', {}, { ring: '2' }, C.INVALID_CLAIMS],
      ['sub not the subject', { sub: bob.did }, {}, C.INVALID_CLAIMS],
      ['org not the issuer', {}, { org: globex.did }, C.INVALID_CLAIMS],
      ['unknown subject field', {}, { admin: true }, C.INVALID_CLAIMS],
      ['capabilities not an array', {}, { capabilities: 'records/read' }, C.INVALID_CLAIMS],
      ['empty name', {}, { name: '' }, C.INVALID_CLAIMS]
    ]
    for (const [name, over, subject, code] of claimCases) {
      it(`rejects ${name} with ${code}`, async () => {
        const t = await forge(EDDSA, agentPayload(acme.did, alice.did, clock, over, subject), acme)
        expectCode(verifyCredential(t, opts()), code, name)
      })
    }

    it('rejects a wrong or missing vc type with WRONG_TYPE', async () => {
      for (const type of [['VerifiableCredential'], ['AgentCredential'], ['VerifiableCredential', 'AgentCredential', 'NodeCredential'], 'AgentCredential']) {
        const p = agentPayload(acme.did, alice.did, clock)
        const t = await forge(EDDSA, { ...p, vc: { ...(p.vc as Json), type } }, acme)
        expectCode(verifyCredential(t, opts()), C.WRONG_TYPE, JSON.stringify(type))
      }
    })

    it('rejects a NodeCredential whose subject is not a strict Ed25519 PeerId', async () => {
      const cid = 'bafzaajaiaejca' + 'a'.repeat(10)
      for (const id of [alice.did, nodePeerId.slice(0, -1), nodePeerId + 'x', 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', cid]) {
        const t = await forge(EDDSA, nodePayload(acme.did, id, clock), acme)
        const r = verifyNodeCredential(t, opts())
        expect(r.ok, id).to.equal(false)
        if (!r.ok) expect([PeerIdErrorCode.INVALID_PEER_ID, PeerIdErrorCode.UNSUPPORTED_PEER_ID_KEY_TYPE], `${id}: ${r.error.code}`).to.include(r.error.code)
      }
    })

    it('rejects non-token input', () => {
      for (const t of [undefined, 42, '', 'a.b', 'a.b.c.d', 'x'.repeat(20_000)]) {
        const r = verifyCredential(t, opts())
        expect(r.ok).to.equal(false)
        if (!r.ok) expect([C.MALFORMED_TOKEN, C.TOKEN_TOO_LARGE]).to.include(r.error.code)
      }
    })
  })
})
