/** Canonical entry encoding: one spelling per entry, anything else refused. */
import { expect } from 'chai'
import { canonicalJson, decodeEntry, encodeEntry, InvalidEntryError, type AuditEntry } from '../../audit/entry.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('audit/entry', () => {
  const entry: AuditEntry = { seq: 3, time: 1767225600000, kind: 'task.deny', subject: 'did:key:z6Mkabc', reason: 'RING_TOO_LOW', details: { z: [1, 'two', null, true], a: { y: 1.5, b: 'é\n' } } }

  it('sorts keys, drops whitespace and escapes like JSON.stringify', () => {
    expect(new TextDecoder().decode(encodeEntry(entry))).to.equal(
      '{"details":{"a":{"b":"é\\n","y":1.5},"z":[1,"two",null,true]},"kind":"task.deny","reason":"RING_TOO_LOW","seq":3,"subject":"did:key:z6Mkabc","time":1767225600000}'
    )
  })

  it('decodes its own encoding back to the same entry', () => {
    const r = decodeEntry(encodeEntry(entry))
    expect(r.ok).to.equal(true)
    if (r.ok) expect(r.value).to.deep.equal(entry)
  })

  it('refuses a non-canonical spelling of the same entry', () => {
    const canonical = new TextDecoder().decode(encodeEntry(entry))
    const variants = [
      canonical.replace('{"details"', '{ "details"'),
      canonical.replace('"seq":3', '"seq":3.0'),
      canonical + '\n',
      canonical.replace('"kind":"task.deny"', '"kind":"task.deny","kind":"task.deny"')
    ]
    for (const v of variants) {
      const r = decodeEntry(enc(v))
      expect(r.ok, v).to.equal(false)
      if (!r.ok) expect(r.error.code, v).to.equal('NON_CANONICAL_ENTRY')
    }
  })

  it('refuses entries of the wrong shape with MALFORMED_ENTRY', () => {
    const bad = ['not json', '[]', '{"details":{},"kind":"nope","seq":0,"subject":"s","time":0}',
      '{"details":{},"kind":"approval","seq":-1,"subject":"s","time":0}',
      '{"details":{},"extra":1,"kind":"approval","seq":0,"subject":"s","time":0}',
      '{"details":[],"kind":"approval","seq":0,"subject":"s","time":0}',
      '{"details":{},"kind":"approval","seq":0,"subject":"","time":0}']
    for (const b of bad) {
      const r = decodeEntry(enc(b))
      expect(r.ok, b).to.equal(false)
      if (!r.ok) expect(r.error.code, b).to.equal('MALFORMED_ENTRY')
    }
    expect(decodeEntry(Uint8Array.of(0xff, 0xfe)).ok).to.equal(false)
  })

  it('refuses values without a canonical form', () => {
    expect(() => canonicalJson({ a: Number.NaN })).to.throw(InvalidEntryError)
    expect(() => canonicalJson({ a: new Date(0) })).to.throw(InvalidEntryError)
    expect(() => canonicalJson({ a: 1n })).to.throw(InvalidEntryError)
    let deep: unknown = 1
    for (let i = 0; i < 40; i++) deep = [deep]
    expect(() => canonicalJson(deep)).to.throw(InvalidEntryError)
    expect(() => encodeEntry({ ...entry, details: { big: 'x'.repeat(70_000) } })).to.throw(InvalidEntryError)
  })
})
