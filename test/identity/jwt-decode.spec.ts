/**
 * Strict compact JWT decoding: each part must be canonical base64url (one spelling per token). The
 * decoder's check of the unused trailing bits is compared, for every last character, with the
 * re-encoding oracle (decode, encode again, compare).
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { decodeJwt, signJwt, JwtErrorCode } from '../../identity/jwt.js'
import { Ed25519Signer } from '../../identity/signer.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Canonical iff decoding and encoding again gives the same text. */
function canonical (part: string): boolean {
  return Buffer.from(part, 'base64url').toString('base64url') === part
}

describe('JWT decoding: canonical base64url', () => {
  it('accepts a part exactly when re-encoding it gives it back, for every last character', async () => {
    const signer = Ed25519Signer.generate()
    for (let len = 1; len <= 12; len++) {
      // a payload segment whose length leaves 0, 2 or 3 characters in the last group
      const payload = { p: randomBytes(len).toString('hex').slice(0, len) }
      const jwt = await signJwt(payload, signer)
      const [h, p, s] = jwt.split('.')
      for (const c of ALPHABET) {
        const q = p.slice(0, -1) + c
        const r = decodeJwt(`${h}.${q}.${s}`)
        const expected = canonical(q)
        if (expected) {
          // canonical but possibly not JSON any more: only the base64url check is under test here
          if (!r.ok) expect(r.error.message, `${q}`).to.not.include('canonical')
        } else {
          expect(r.ok, `${q} is not canonical`).to.equal(false)
          if (!r.ok) expect(r.error).to.include({ code: JwtErrorCode.MALFORMED_TOKEN })
        }
      }
    }
  })

  it('refuses a signature whose last character carries set unused bits, and decodes the canonical one', async () => {
    const signer = Ed25519Signer.generate()
    const jwt = await signJwt({ a: 1 }, signer)
    const [h, p, s] = jwt.split('.')
    expect(s.length % 4).to.equal(2) // 64 bytes: 86 characters, 4 unused bits in the last one
    const last = ALPHABET.indexOf(s[s.length - 1])
    const altered = s.slice(0, -1) + ALPHABET[last | 0x01]
    expect(decodeJwt(`${h}.${p}.${altered}`).ok).to.equal(false)
    const r = decodeJwt(jwt)
    expect(r.ok).to.equal(true)
    if (r.ok) {
      expect(Buffer.from(r.value.signingInput).toString('latin1')).to.equal(`${h}.${p}`)
      expect(r.value.signature.length).to.equal(64)
    }
  })
})

describe('JWT decoding: what a kept token holds', () => {
  it('its signed input and signature own memory of their size (a slice of the shared Buffer pool would pin 8 KiB)', async () => {
    const jwt = await signJwt({ a: 'x'.repeat(100) }, Ed25519Signer.generate())
    const r = decodeJwt(jwt)
    expect(r.ok).to.equal(true)
    if (!r.ok) return
    const [h, p] = jwt.split('.')
    expect(r.value.signingInput.buffer.byteLength).to.equal(h.length + 1 + p.length)
    expect(r.value.signature.buffer.byteLength).to.equal(64)
  })
})
