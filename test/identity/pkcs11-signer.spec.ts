/**
 * The PKCS#11 signer against SoftHSM2: an Ed25519 key generated on the token signs what node:crypto
 * and the credential verifiers accept, reopens by label with the same DID, cannot be read out
 * (CKR_ATTRIBUTE_SENSITIVE), and every failure at open is a named error, never another key.
 * Pending (naming the Debian package softhsm2) where SoftHSM2 is not installed.
 */
import { expect } from 'chai'
import { createRequire } from 'node:module'
import { createPublicKey, verify as cryptoVerify } from 'node:crypto'
import { openPkcs11Signer, Pkcs11KeyError, Pkcs11ErrorCode, type Pkcs11Signer } from '../../identity/pkcs11-signer.js'
import { issueNodeCredential, verifyNodeCredential } from '../../identity/credentials.js'
import { publicKeyFromDidKey } from '../../identity/did-key.js'
import { peerIdStringFromPublicKey } from '../../identity/peer-id.js'
import { fakeClock } from '../helpers/clock.js'
import { makeSoftHsm, requireSoftHsm, TEST_PIN, type SoftHsm } from '../helpers/softhsm.js'

const require = createRequire(import.meta.url)

async function expectCode (p: Promise<unknown>, code: string): Promise<Pkcs11KeyError> {
  try {
    await p
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(Pkcs11KeyError)
    expect((err as Pkcs11KeyError).code, (err as Error).message).to.equal(code)
    return err as Pkcs11KeyError
  }
  return expect.fail(`expected Pkcs11KeyError ${code}`)
}

/** Run `fn` with a PKCS#11 session of our own (no trustmesh signer open: the library is finalised after). */
function withSession<T> (hsm: SoftHsm, token: string, fn: (lib: any, session: Buffer, p: any) => T): T {
  const p = require('pkcs11js')
  const lib = new p.PKCS11()
  lib.load(hsm.module)
  lib.C_Initialize()
  try {
    const slot = (lib.C_GetSlotList(true) as Buffer[]).find(s => String(lib.C_GetTokenInfo(s).label).trim() === token)
    const session = lib.C_OpenSession(slot, p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION)
    lib.C_Login(session, p.CKU_USER, TEST_PIN)
    return fn(lib, session, p)
  } finally {
    lib.C_Finalize()
  }
}

describe('PKCS#11 signer on SoftHSM2 (needs Debian package softhsm2)', function () {
  let hsm: SoftHsm
  const open: Pkcs11Signer[] = []
  before(function () {
    requireSoftHsm(this)
    hsm = makeSoftHsm()
    hsm.initToken('acme-hsm')
  })
  afterEach(async () => { for (const s of open.splice(0)) await s.close() })
  after(() => { hsm?.cleanup() })

  const ref = (label = 'org'): { module: string, token: string, label: string, pin: string } => ({ module: hsm.module, token: 'acme-hsm', label, pin: TEST_PIN })

  it('generates an Ed25519 key on the token whose signatures node:crypto and the credential verifier accept', async () => {
    const { signer, created } = await openPkcs11Signer({ ...ref('gen'), createIfMissing: true })
    open.push(signer)
    expect(created).to.equal(true)
    expect(signer.did).to.match(/^did:key:z6Mk/)
    const msg = Buffer.from('hello token')
    const sig = await signer.sign(msg)
    expect(sig).to.have.length(64)
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKeyFromDidKey(signer.did))])
    expect(cryptoVerify(null, msg, createPublicKey({ key: spki, format: 'der', type: 'spki' }), Buffer.from(sig))).to.equal(true)
    const clock = fakeClock(Date.now())
    const jwt = await issueNodeCredential(signer, { peerId: peerIdStringFromPublicKey(signer.publicKey), orgName: 'acme' }, { clock, ttlSeconds: 3600 })
    const v = verifyNodeCredential(jwt, { clock, expectedIssuer: signer.did })
    expect(v.ok, v.ok ? '' : v.error.message).to.equal(true)
  })

  it('reopens an existing key by label with the same DID, and never creates a second one', async () => {
    const a = await openPkcs11Signer({ ...ref('again'), createIfMissing: true })
    open.push(a.signer)
    const b = await openPkcs11Signer({ ...ref('again'), createIfMissing: true })
    open.push(b.signer)
    expect(b.created).to.equal(false)
    expect(b.signer.did).to.equal(a.signer.did)
    const c = await openPkcs11Signer(ref('again'))
    open.push(c.signer)
    expect(c.signer.did).to.equal(a.signer.did)
  })

  it('the private key is sensitive and non-extractable: reading its value gives CKR_ATTRIBUTE_SENSITIVE', async () => {
    const { signer } = await openPkcs11Signer({ ...ref('secret'), createIfMissing: true })
    await signer.close()
    withSession(hsm, 'acme-hsm', (lib, session, p) => {
      lib.C_FindObjectsInit(session, [{ type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY }, { type: p.CKA_LABEL, value: Buffer.from('secret') }])
      const [key] = lib.C_FindObjects(session, 2)
      lib.C_FindObjectsFinal(session)
      const [sensitive, extractable] = lib.C_GetAttributeValue(session, key, [{ type: p.CKA_SENSITIVE }, { type: p.CKA_EXTRACTABLE }])
      expect(sensitive.value[0]).to.equal(1)
      expect(extractable.value[0]).to.equal(0)
      let code: number | undefined
      try { lib.C_GetAttributeValue(session, key, [{ type: p.CKA_VALUE }]) } catch (err) { code = (err as { code: number }).code }
      expect(code).to.equal(p.CKR_ATTRIBUTE_SENSITIVE)
    })
  })

  it('a wrong PIN is WRONG_PIN, an unknown token TOKEN_NOT_FOUND, a missing key KEY_NOT_FOUND, a bad module PKCS11_MODULE_UNAVAILABLE', async () => {
    await openPkcs11Signer({ ...ref('present'), createIfMissing: true }).then(async r => { await r.signer.close() })
    await expectCode(openPkcs11Signer({ ...ref('present'), pin: '000000' }), Pkcs11ErrorCode.WRONG_PIN)
    const e = await expectCode(openPkcs11Signer({ ...ref('present'), token: 'no-such-token' }), Pkcs11ErrorCode.TOKEN_NOT_FOUND)
    expect(e.message).to.include('acme-hsm')
    await expectCode(openPkcs11Signer(ref('absent')), Pkcs11ErrorCode.KEY_NOT_FOUND)
    await expectCode(openPkcs11Signer({ ...ref('present'), module: '/nonexistent/libpkcs11.so' }), Pkcs11ErrorCode.PKCS11_MODULE_UNAVAILABLE)
  })

  it('a key removed from the token is KEY_NOT_FOUND at the next open', async () => {
    const { signer } = await openPkcs11Signer({ ...ref('doomed'), createIfMissing: true })
    await signer.close()
    withSession(hsm, 'acme-hsm', (lib, session, p) => {
      lib.C_FindObjectsInit(session, [{ type: p.CKA_LABEL, value: Buffer.from('doomed') }])
      const objs = lib.C_FindObjects(session, 4)
      lib.C_FindObjectsFinal(session)
      for (const o of objs) lib.C_DestroyObject(session, o)
    })
    await expectCode(openPkcs11Signer(ref('doomed')), Pkcs11ErrorCode.KEY_NOT_FOUND)
  })
})
