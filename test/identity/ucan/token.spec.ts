import { expect } from 'chai'
import { acme, alice } from '../../helpers/principals.js'
import { cidOfJwt } from '../../../identity/ucan/cid.js'
import { decodeDelegation, issueDelegation } from '../../../identity/ucan/token.js'
import { cap, res, T0S } from './fixtures.js'
import { signRaw } from './forge.js'

describe('ucan/token', () => {
  it('issues UCAN 0.10 JWTs and decodes them back', async () => {
    const p = await issueDelegation(acme, { audience: alice.did, capabilities: cap(res(acme), 'records/*'), expiration: T0S + 60 })
    const t = await issueDelegation(acme, { audience: alice.did, capabilities: cap(res(acme), 'records/read', [{ maxAmount: 3 }]), notBefore: T0S, expiration: T0S + 60, nonce: 'n', facts: { why: 'test' }, proofs: [p.jwt] })
    expect(t.cid).to.equal(cidOfJwt(t.jwt))
    const header = JSON.parse(Buffer.from(t.jwt.split('.')[0], 'base64url').toString()) as unknown
    expect(header).to.deep.equal({ alg: 'EdDSA', typ: 'JWT' })
    const d = decodeDelegation(t.jwt)
    if (!d.ok) throw new Error(d.error.message)
    expect(d.value).to.include({ issuer: acme.did, audience: alice.did, notBefore: T0S, expiration: T0S + 60, nonce: 'n', cid: t.cid })
    expect(d.value.proofs).to.deep.equal([p.cid])
    expect(d.value.facts).to.deep.equal({ why: 'test' })
  })

  it('validates the schema with stable codes; unknown top-level fields are tolerated', async () => {
    const base = { ucv: '0.10.0', iss: acme.did, aud: alice.did, exp: T0S + 60, cap: cap(res(acme), 'records/read'), prf: [] }
    const code = async (payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'EdDSA', typ: 'JWT' }): Promise<string> => {
      const r = decodeDelegation(await signRaw(header, payload, acme))
      return r.ok ? 'OK' : r.error.code
    }
    expect(await code(base)).to.equal('OK')
    expect(await code({ ...base, extra: 1 })).to.equal('OK')
    expect(await code(base, { alg: 'EdDSA' })).to.equal('MALFORMED_TOKEN')
    expect(await code({ ...base, ucv: '0.9.1' })).to.equal('MALFORMED_TOKEN')
    expect(await code({ ...base, iss: 'did:web:example.org' })).to.equal('UNSUPPORTED_DID_METHOD')
    expect(await code({ ...base, aud: 'did:key:z6Mkxyz' })).to.not.equal('OK')
    expect(await code({ ...base, exp: '1' })).to.equal('MALFORMED_TOKEN')
    expect(await code({ ...base, nbf: 1.5 })).to.equal('MALFORMED_TOKEN')
    expect(await code({ ...base, nnc: 7 })).to.equal('MALFORMED_TOKEN')
    expect(await code({ ...base, fct: [] })).to.equal('MALFORMED_TOKEN')
    expect(await code({ ...base, prf: ['nope'] })).to.equal('INVALID_CID')
    expect(await code({ ...base, prf: 'x' })).to.equal('MALFORMED_TOKEN')
    expect(await code({ ...base, cap: {} })).to.equal('INVALID_CAPABILITY')
    expect(await code({ ...base, cap: cap(res(acme), 'records/read', []) })).to.equal('INVALID_CAPABILITY')
    expect(await code({ ...base, cap: cap(res(acme), 'records/read', [1] as unknown as object[]) })).to.equal('INVALID_CAPABILITY')
    expect(await code({ ...base, cap: { [res(acme)]: { 'records/read': {} } } })).to.equal('INVALID_CAPABILITY')
    expect(await code({ ...base, cap: { [res(acme)]: [] } })).to.equal('INVALID_CAPABILITY')
    expect(await code({ ...base, cap: cap('not a uri', 'records/read') })).to.equal('INVALID_CAPABILITY')
    expect(await code({ ...base, cap: cap(res(acme), '*/read') })).to.equal('INVALID_CAPABILITY')
  })
})
