/**
 * Hostile input for every wire message schema through `decodeJsonMessage` (the codec path every
 * protocol reads through): random bytes, invalid UTF-8, JSON of the wrong shape, near-valid messages
 * with one field wrong, deep nesting and huge strings. The only exception allowed is ProtocolError
 * with a code; anything accepted must really have the schema's shape.
 */
import fc from 'fast-check'
import { expect } from 'chai'
import { decodeJsonMessage, type Schema } from '../../protocols/codec.js'
import { helloReplySchema, helloSchema } from '../../protocols/hello/messages.js'
import { taskReplySchema, taskRequestSchema } from '../../protocols/task/messages.js'
import { deliveryReplySchema, deliverySchema } from '../../protocols/delegation/messages.js'
import { agentsReplySchema, agentsRequestSchema } from '../../protocols/agents/messages.js'
import { syncReplySchema, syncRequestSchema } from '../../protocols/sync/messages.js'
import { cosignReplySchema, cosignRequestSchema } from '../../protocols/audit/messages.js'
import { expectNamedThrowOrValue, HOSTILE_TEXTS, nastyJson, params } from './fuzz-kit.js'

const HASH = 'A'.repeat(43) + '='
/** One valid example per schema: the near-miss generator breaks one field at a time. */
const SCHEMAS: Array<{ name: string, schema: Schema<unknown>, valid: Record<string, unknown> }> = [
  { name: 'hello', schema: helloSchema, valid: { v: 1, nodeCredential: 'a.b.c', orgName: 'acme', software: 'trustmesh', policyDigest: 'sha256:x' } },
  { name: 'helloReply', schema: helloReplySchema, valid: { ok: false, code: 'ORG_NOT_ENROLLED', message: 'no' } },
  { name: 'task', schema: taskRequestSchema, valid: { v: 1, invocation: 'a.b.c', proofs: {}, credentials: {}, args: { q: 1 } } },
  { name: 'taskReply', schema: taskReplySchema, valid: { outcome: 'ok', code: 'OK', output: { a: 1 } } },
  { name: 'delegation', schema: deliverySchema, valid: { v: 1, delegation: 'a.b.c', proofs: {}, credentials: {} } },
  { name: 'deliveryReply', schema: deliveryReplySchema, valid: { ok: true } },
  { name: 'agentsRequest', schema: agentsRequestSchema, valid: { v: 1 } },
  { name: 'agentsReply', schema: agentsReplySchema, valid: { credentials: ['a.b.c'] } },
  { name: 'syncRequest', schema: syncRequestSchema, valid: { v: 1, op: 'ids', topic: 'credentials' } },
  { name: 'syncReply(ids)', schema: syncReplySchema('ids', 1024), valid: { v: 1, op: 'ids', ids: ['a'], more: false } },
  { name: 'syncReply(records)', schema: syncReplySchema('records', 1024), valid: { v: 1, op: 'records', records: ['r'] } },
  { name: 'cosignRequest', schema: cosignRequestSchema, valid: { v: 1, checkpoint: 'cp', from: 0, proof: [HASH] } },
  { name: 'cosignReply', schema: cosignReplySchema, valid: { v: 1, ok: true, cosigned: 'cp' } }
]

const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))

function decode (name: string, schema: Schema<unknown>, bytes: Uint8Array): { threw?: Error & { code?: string }, value?: unknown } {
  return expectNamedThrowOrValue(`decodeJsonMessage(${name})`, ['ProtocolError'], () => decodeJsonMessage(bytes, schema))
}

/** The valid message with one field replaced, removed, or an unknown field added. */
function nearMiss (valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid)
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys), nastyJson).map(([k, v]) => ({ ...valid, [k]: v })),
    fc.constantFrom(...keys).map(k => { const c: Record<string, unknown> = { ...valid }; delete c[k]; return c }),
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), nastyJson).map(([k, v]) => ({ ...valid, [k]: v })),
    fc.constantFrom('toString', 'constructor', 'hasOwnProperty', 'valueOf').map(k => JSON.parse(JSON.stringify({ ...valid }).replace(/^\{/, `{"${k}":1,`)))
  )
}

describe('fuzz: wire message decoders (decodeJsonMessage x every schema)', function () {
  this.timeout(60_000)

  for (const { name, schema, valid } of SCHEMAS) {
    describe(name, () => {
      it('accepts its valid example', () => {
        expect(decode(name, schema, enc(valid)).threw).to.equal(undefined)
      })

      it('random bytes and invalid UTF-8 give ProtocolError MALFORMED_MESSAGE', () => {
        fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => {
          const r = decode(name, schema, b)
          if (r.threw != null) expect(r.threw.code).to.equal('MALFORMED_MESSAGE')
        }), params(300))
        expect(decode(name, schema, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])).threw?.code).to.equal('MALFORMED_MESSAGE')
      })

      it('arbitrary JSON and near-misses of the valid message are refused or have the exact shape', () => {
        fc.assert(fc.property(fc.oneof(nastyJson, nearMiss(valid)), (v) => {
          const r = decode(name, schema, enc(v))
          if (r.threw == null) {
            // accepted: it must be an object carrying no field the valid example lacks, except optional ones
            expect(r.value).to.be.an('object')
            for (const k of Object.keys(r.value as object)) expect(Object.hasOwn(valid, k) || !['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__'].includes(k), `${name} accepted an inherited-name field ${k}`).to.equal(true)
          }
        }), params(300))
      })

      it('deep nesting, huge strings and truncations are refused quickly', () => {
        for (const [what, text] of HOSTILE_TEXTS) {
          const r = decode(`${name}: ${what}`, schema, enc(text))
          expect(r.threw?.code, what).to.equal('MALFORMED_MESSAGE')
        }
        const full = JSON.stringify(valid)
        for (let i = 0; i < full.length; i++) {
          const r = decode(`${name} truncated at ${i}`, schema, enc(full.slice(0, i)))
          expect(r.threw?.code).to.equal('MALFORMED_MESSAGE')
        }
      })
    })
  }
})
