/**
 * Signed-note checkpoints: the golang.org/x/mod/sumdb/note PeterNeumann vector (key id and a
 * byte-exact signature), the tlog-checkpoint layout, strict parsing, signatures and cosignatures.
 */
import { expect } from 'chai'
import { Ed25519Signer } from '../../identity/signer.js'
import {
  cosignCheckpoint, keyId, originForDid, parseCheckpoint, signCheckpoint, signNote, verifyCheckpoint, verifyCosignatures
} from '../../audit/checkpoint.js'
import { rootHash, hashLeaf } from '../../audit/merkle.js'
import { acme, globex, initech, mallory } from '../helpers/principals.js'

// golang.org/x/mod/sumdb/note documentation and note_test.go.
const GO_SKEY = 'AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'
const GO_VKEY = 'ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
const GO_NOTE = GO_TEXT + '\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n'

describe('audit/checkpoint', () => {
  const origin = originForDid(acme.did)
  const root = rootHash([hashLeaf(Uint8Array.of(1)), hashLeaf(Uint8Array.of(2))])

  it('computes the signed-note key id and signature of the Go reference note', async () => {
    const seed = Buffer.from(GO_SKEY, 'base64')
    const pub = Buffer.from(GO_VKEY, 'base64')
    expect(seed[0]).to.equal(1)
    const signer = new Ed25519Signer(new Uint8Array(seed.subarray(1)))
    expect(Buffer.from(signer.publicKey).equals(pub.subarray(1))).to.equal(true)
    expect(Buffer.from(keyId('PeterNeumann', signer.publicKey)).toString('hex')).to.equal('c74f20a3')
    expect(await signNote(GO_TEXT, signer, 'PeterNeumann')).to.equal(GO_NOTE)
  })

  it('writes the tlog-checkpoint layout and verifies under the origin key name', async () => {
    const text = await signCheckpoint(acme, { origin, size: 2, root })
    const lines = text.split('\n')
    expect(lines.slice(0, 4)).to.deep.equal([origin, '2', Buffer.from(root).toString('base64'), ''])
    expect(lines[4].startsWith(`\u2014 ${origin} `)).to.equal(true)
    expect(lines[5]).to.equal('')
    const r = verifyCheckpoint(text, { origin, publicKeyOrDid: acme.did })
    expect(r.ok).to.equal(true)
    if (r.ok) {
      expect(r.value.size).to.equal(2)
      expect(Buffer.from(r.value.root).equals(Buffer.from(root))).to.equal(true)
    }
    expect(verifyCheckpoint(text, { origin, publicKeyOrDid: acme.publicKey }).ok).to.equal(true)
  })

  it('refuses the wrong key, the wrong origin and any changed byte', async () => {
    const text = await signCheckpoint(acme, { origin, size: 2, root })
    const wrongKey = verifyCheckpoint(text, { origin, publicKeyOrDid: mallory.did })
    expect(wrongKey.ok ? '' : wrongKey.error.code).to.equal('BAD_CHECKPOINT_SIGNATURE')
    const wrongOrigin = verifyCheckpoint(text, { origin: originForDid(globex.did), publicKeyOrDid: acme.did })
    expect(wrongOrigin.ok ? '' : wrongOrigin.error.code).to.equal('ORIGIN_MISMATCH')
    const bytes = Buffer.from(text, 'utf8')
    for (let i = 0; i < bytes.length; i++) {
      const copy = Buffer.from(bytes)
      copy[i] ^= 0x01
      expect(verifyCheckpoint(copy.toString('utf8'), { origin, publicKeyOrDid: acme.did }).ok, `byte ${i}`).to.equal(false)
    }
  })

  it('parses strictly', async () => {
    const text = await signCheckpoint(acme, { origin, size: 7, root })
    const [body, sigs] = text.split('\n\n')
    const b64 = Buffer.from(root).toString('base64')
    const bad = [
      '', 'no blank line\n',
      body.replace('\n7\n', '\n07\n') + '\n\n' + sigs,
      body.replace('\n7\n', '\n-7\n') + '\n\n' + sigs,
      body.replace('\n7\n', '\n99999999999999999\n') + '\n\n' + sigs,
      body.replace(b64, b64.slice(0, -4)) + '\n\n' + sigs,
      body + '\n\n',
      body + '\n\n' + sigs.trimEnd(),
      body + '\n\n' + sigs.replace('\u2014', '-'),
      text.replace(/\n/g, '\r\n'),
      text + '\u2014 x ' + 'A'.repeat(20000) + '\n'
    ]
    for (const t of bad) {
      const r = parseCheckpoint(t)
      expect(r.ok, JSON.stringify(t.slice(0, 80))).to.equal(false)
      if (!r.ok) expect(r.error.code).to.equal('MALFORMED_CHECKPOINT')
    }
  })

  it('adds cosignatures that verify, ignores unknown names, and fails bad or missing ones', async () => {
    const text = await signCheckpoint(acme, { origin, size: 2, root })
    const once = await cosignCheckpoint(text, globex, 'witness/globex')
    expect(await cosignCheckpoint(once, globex, 'witness/globex')).to.equal(once)
    const both = await cosignCheckpoint(once, initech, 'witness/initech')
    const known = [{ name: 'witness/globex', publicKeyOrDid: globex.did }, { name: 'witness/initech', publicKeyOrDid: initech.did }]
    const r = verifyCosignatures(both, known)
    expect(r.ok ? r.value.verified : r.error.code).to.deep.equal(['witness/globex', 'witness/initech'])
    expect(verifyCheckpoint(both, { origin, publicKeyOrDid: acme.did }).ok).to.equal(true)

    const missing = verifyCosignatures(once, known)
    expect(missing.ok ? '' : missing.error.code).to.equal('MISSING_COSIGNATURE')
    expect(verifyCosignatures(once, known, { min: 1 }).ok).to.equal(true)

    // mallory signs under globex's name: a known name whose line does not verify.
    const forged = await cosignCheckpoint(text, mallory, 'witness/globex')
    const bad = verifyCosignatures(forged, known, { min: 0 })
    expect(bad.ok ? '' : bad.error.code).to.equal('BAD_COSIGNATURE')
    // An unknown cosigner's line is ignored.
    const extra = await cosignCheckpoint(both, mallory, 'witness/mallory')
    expect(verifyCosignatures(extra, known).ok).to.equal(true)
  })
})
