/**
 * Hostile input for the decoders of files and stored records: policy documents (YAML), audit
 * checkpoints (signed notes) and entries, SPIFFE bundle files (PEM, DER, JWKS) and the DER reader.
 * Each refuses garbage with its documented error or a coded failure, within a time budget.
 */
import fc from 'fast-check'
import { expect } from 'chai'
import { loadPolicyText } from '../../authz/load-policy.js'
import { DEFAULT_POLICY_YAML } from '../../authz/default-policy.js'
import { decodeEntry, encodeEntry, parseCheckpoint, signCheckpoint } from '../../audit/index.js'
import { parseBundleFile, certificatesToPem } from '../../node/services/spiffe/bundle-file.js'
import { parseSpiffeId } from '../../node/services/spiffe/spiffe-id.js'
import { readTlv, splitDerSequences } from '../../node/services/spiffe/der.js'
import { parseCertificate } from '../../node/services/spiffe/certificate-fields.js'
import { acme } from '../helpers/principals.js'
import { deepJson, expectNamedThrowOrValue, expectResult, HOSTILE_TEXTS, mutated, mutatedBytes, nastyJson, params } from './fuzz-kit.js'

/** A self-signed P-256 CA certificate (CN=fuzz-ca), the valid seed for bundle mutations. */
const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBiTCCAS+gAwIBAgIUaAlVGD+0tZKFEXVUrbjfsjZ4Jn4wCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHZnV6ei1jYTAeFw0yNjExMjQxNTU1MzVaFw0zNjExMjExNTU1
MzVaMBIxEDAOBgNVBAMMB2Z1enotY2EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AATW7/zIQAIjMVzgCAjNI5G5fxN34MujVPlL+YfISdbYFHEnx75f7xNWz3pTqpTR
eduY/F2r2KyuhkW4rQsSDISEo2MwYTAdBgNVHQ4EFgQUr0tGckXbQ23GvR41UObx
gaN5nIkwHwYDVR0jBBgwFoAUr0tGckXbQ23GvR41UObxgaN5nIkwDwYDVR0TAQH/
BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwIDSAAwRQIhAJ6vPX2v
d3BKHTkGyiJO4w9dMMJpjlJ12FZe5FU/RnYqAiAViZabwdlL5M4Xix1HU4htK5zS
ihjOePJc4l6pgiXtXA==
-----END CERTIFICATE-----
`
const CA_DER = new Uint8Array(Buffer.from(CA_PEM.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'))

/** Policy files are operator input; the YAML parser is slower than the JSON decoders: a looser budget. */
const POLICY_BUDGET_MS = 1_000

function policy (what: string, text: string): { threw?: Error & { code?: string } } {
  return expectNamedThrowOrValue(what, ['PolicyLoadError'], () => loadPolicyText(text, 'fuzz.yaml'), POLICY_BUDGET_MS)
}

describe('fuzz: file and record decoders', function () {
  this.timeout(60_000)

  describe('policy documents (loadPolicyText)', () => {
    it('the default policy loads', () => {
      expect(policy('default', DEFAULT_POLICY_YAML).threw).to.equal(undefined)
    })

    it('mutations of the default policy, arbitrary YAML-ish text and arbitrary JSON load or fail with PolicyLoadError', () => {
      const yamlish = fc.array(fc.constantFrom('version: 1\n', 'name: x\n', 'default: allow\n', 'default: deny\n', 'rules:\n', '  - id: a\n', '    effect: allow\n', '    match: {}\n', '    match:\n      ability: "*"\n', 'rings:\n  "*": 0\n', 'extends: [fuzz.yaml]\n', 'extends: [other]\n', '&a x: *a\n', '!!js/function f\n', '? [a]\n: 1\n', '<<: {a: 1}\n', '\t', '- ', '{', '[', '"', "'"), { maxLength: 24 }).map(a => a.join(''))
      fc.assert(fc.property(fc.oneof(mutated(DEFAULT_POLICY_YAML), yamlish, fc.string({ maxLength: 300 }), nastyJson.map(v => JSON.stringify(v) ?? 'null')), (text) => {
        const r = policy('loadPolicyText', text)
        if (r.threw != null) expect(r.threw.code).to.match(/^POLICY_/)
      }), params(300))
    })

    it('deep nesting, huge documents and alias bombs are refused', () => {
      for (const [what, text] of [...HOSTILE_TEXTS, ['100,000 YAML flow [', 'x: ' + deepJson(100_000)], ['alias bomb', 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n']] as Array<[string, string]>) {
        if (what === 'just whitespace' || what === 'empty') continue
        const r = policy(what, text)
        expect(r.threw?.name, what).to.equal('PolicyLoadError')
      }
    })
  })

  describe('audit checkpoints and entries', () => {
    let checkpoint: string
    let entry: Uint8Array
    before(async () => {
      checkpoint = await signCheckpoint(acme, { origin: 'trustmesh.local/log/fuzz', size: 3, root: new Uint8Array(32).fill(1) })
      entry = encodeEntry({ seq: 0, time: 1, kind: 'task.allow', subject: 'x', details: { a: [1, 'b'] } })
    })

    it('parseCheckpoint: the valid seed parses; garbage and mutations give MALFORMED_CHECKPOINT', () => {
      expect(parseCheckpoint(checkpoint).ok).to.equal(true)
      const lines = fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', 'trustmesh.local/log/x', '3', '0', '— a AAAA', '— name ' + 'A'.repeat(88))), { maxLength: 10 }).map(l => l.join('\n'))
      fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), lines, mutated(checkpoint), nastyJson), (t) => {
        const r = expectResult('parseCheckpoint', () => parseCheckpoint(t as string))
        if (r.ok) expect(r.value.signatures.length).to.be.greaterThan(0)
      }), params(400))
      for (const [what, text] of HOSTILE_TEXTS) expect(expectResult(`parseCheckpoint(${what})`, () => parseCheckpoint(text)).ok, what).to.equal(false)
      expect(expectResult('parseCheckpoint(65 signatures)', () => parseCheckpoint(checkpoint + checkpoint.split('\n\n')[1].repeat(65))).ok).to.equal(false)
    })

    it('decodeEntry: garbage bytes, arbitrary JSON and mutations give a coded failure; deep JSON is refused', () => {
      expect(decodeEntry(entry).ok).to.equal(true)
      const json = nastyJson.map(v => new TextEncoder().encode(JSON.stringify(v) ?? 'null'))
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), json, mutatedBytes(entry)), (b) => {
        expectResult('decodeEntry', () => decodeEntry(b))
      }), params(400))
      for (const [what, text] of HOSTILE_TEXTS) {
        expect(expectResult(`decodeEntry(${what})`, () => decodeEntry(new TextEncoder().encode(text))).ok, what).to.equal(false)
      }
      const deepDetails = `{"details":${deepJson(30, '{"a":', '}').replace(/}+$/, '1' + '}'.repeat(30))},"kind":"task.allow","seq":0,"subject":"x","time":1}`
      const r = expectResult('decodeEntry(deep details)', () => decodeEntry(new TextEncoder().encode(deepDetails)))
      expect(r.ok).to.equal(false)
    })
  })

  describe('SPIFFE bundle files and the DER reader', () => {
    it('the valid seed parses as one CA', () => {
      const r = parseBundleFile(CA_PEM)
      expect(r.ok).to.equal(true)
      expect(parseBundleFile(CA_DER).ok).to.equal(true)
    })

    it('parseBundleFile: mutated PEM and DER, JWKS-shaped garbage and random bytes give a coded failure', () => {
      const jwks = fc.array(fc.record({ use: fc.constantFrom('x509-svid', 'jwt-svid', 1), x5c: fc.oneof(nastyJson, fc.constant([Buffer.from(CA_DER).toString('base64')])) }), { maxLength: 4 }).map(keys => JSON.stringify({ keys }))
      fc.assert(fc.property(fc.oneof(mutated(CA_PEM), fc.string({ maxLength: 300 }), jwks, nastyJson.map(v => JSON.stringify(v) ?? '')), (t) => {
        expectResult('parseBundleFile(text)', () => parseBundleFile(t))
      }), params(300))
      fc.assert(fc.property(fc.oneof(mutatedBytes(CA_DER), fc.uint8Array({ maxLength: 400 }).map(b => { const c = new Uint8Array(b.length + 1); c[0] = 0x30; c.set(b, 1); return c })), (b) => {
        expectResult('parseBundleFile(DER)', () => parseBundleFile(b))
      }), params(300))
    })

    it('parseBundleFile: a 1 MiB file of unterminated or endless blocks is refused quickly (no regex backtracking)', () => {
      const hostile: Array<[string, string | Uint8Array]> = [
        ['unterminated BEGIN lines', '-----BEGIN CERTIFICATE-----\n'.repeat(36_000)],
        ['BEGIN A without END', '-----BEGIN A-----'.repeat(60_000)],
        ['many valid blocks', certificatesToPem([CA_DER]).repeat(1_500)],
        ['deep JWKS', '{"keys":' + deepJson(500_000, '[', ']', false)],
        ['DER length claiming 4 GiB', new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00])],
        ['2 MiB', 'A'.repeat(2 * 1024 * 1024)]
      ]
      for (const [what, input] of hostile) {
        const r = expectResult(`parseBundleFile(${what})`, () => parseBundleFile(input), 1_000)
        if (what !== 'many valid blocks') expect(r.ok, what).to.equal(false)
      }
    })

    it('readTlv / splitDerSequences / parseCertificate throw only DerError (or an OpenSSL error for a certificate)', () => {
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutatedBytes(CA_DER)), fc.nat({ max: 70 }), (b, off) => {
        expectNamedThrowOrValue('readTlv', ['DerError'], () => readTlv(b, off))
        expectNamedThrowOrValue('splitDerSequences', ['DerError'], () => splitDerSequences(b))
        const r = expectNamedThrowOrValue('parseCertificate', ['DerError', 'Error'], () => parseCertificate(b))
        if (r.threw != null && r.threw.name !== 'DerError') expect(r.threw.code, 'OpenSSL errors carry an ERR_ code').to.match(/^ERR_/)
      }), params(400))
    })

    it('parseSpiffeId: garbage and near-misses give a coded failure', () => {
      const near = fc.tuple(fc.constantFrom('spiffe://', 'SPIFFE://', 'spiffe:/', 'spiffe://a/'), fc.string({ maxLength: 60 })).map(([a, b]) => a + b)
      fc.assert(fc.property(fc.oneof(near, fc.string({ maxLength: 100 }), nastyJson), (s) => {
        expectResult('parseSpiffeId', () => parseSpiffeId(s))
      }), params(300))
      expect(parseSpiffeId('spiffe://a/' + 'b/'.repeat(100_000)).ok).to.equal(false)
    })
  })
})
