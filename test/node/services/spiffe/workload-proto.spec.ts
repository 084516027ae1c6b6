import { expect } from 'chai'
import { workloadApiServiceDefinition } from '../../../../node/services/spiffe/workload-proto.js'

// Known-answer encodings, written by hand from the field numbers of the SPIFFE workload.proto, so a
// wrong field number in our definition shows up as different bytes.
describe('spiffe/workload-proto field numbers', function () {
  const def = workloadApiServiceDefinition()

  it('X509SVIDResponse{svids:[{spiffe_id,x509_svid,x509_svid_key,bundle,hint}],crl,federated_bundles}', function () {
    const bytes = def.FetchX509SVID.responseSerialize({
      svids: [{ spiffe_id: 'a', x509_svid: Buffer.from([1]), x509_svid_key: Buffer.from([2]), bundle: Buffer.from([3]), hint: 'h' }],
      crl: [Buffer.from([4])],
      federated_bundles: { k: Buffer.from([5]) }
    })
    const svid = [0x0a, 1, 0x61, 0x12, 1, 1, 0x1a, 1, 2, 0x22, 1, 3, 0x2a, 1, 0x68]
    const entry = [0x0a, 1, 0x6b, 0x12, 1, 5]
    expect([...bytes]).to.deep.equal([0x0a, svid.length, ...svid, 0x12, 1, 4, 0x1a, entry.length, ...entry])
  })

  it('X509BundlesResponse{crl=1, bundles=2}', function () {
    const bytes = def.FetchX509Bundles.responseSerialize({ crl: [Buffer.from([9])], bundles: { t: Buffer.from([7]) } })
    expect([...bytes]).to.deep.equal([0x0a, 1, 9, 0x12, 6, 0x0a, 1, 0x74, 0x12, 1, 7])
  })

  it('JWTSVIDRequest{audience=1, spiffe_id=2}, JWTSVIDResponse{svids=1{spiffe_id=1,svid=2,hint=3}}', function () {
    expect([...def.FetchJWTSVID.requestSerialize({ audience: ['x'], spiffe_id: 'y' })]).to.deep.equal([0x0a, 1, 0x78, 0x12, 1, 0x79])
    expect([...def.FetchJWTSVID.responseSerialize({ svids: [{ spiffe_id: 'a', svid: 'b', hint: 'c' }] })]).to.deep.equal([0x0a, 9, 0x0a, 1, 0x61, 0x12, 1, 0x62, 0x1a, 1, 0x63])
  })

  it('ValidateJWTSVIDRequest{audience=1, svid=2}; JWTBundlesResponse{bundles=1}', function () {
    expect([...def.ValidateJWTSVID.requestSerialize({ audience: 'x', svid: 'y' })]).to.deep.equal([0x0a, 1, 0x78, 0x12, 1, 0x79])
    expect([...def.FetchJWTBundles.responseSerialize({ bundles: { t: Buffer.from([7]) } })]).to.deep.equal([0x0a, 6, 0x0a, 1, 0x74, 0x12, 1, 7])
  })

  it('names the methods under service SpiffeWorkloadAPI with no package, streams where the spec says', function () {
    expect(def.FetchX509SVID.path).to.equal('/SpiffeWorkloadAPI/FetchX509SVID')
    expect(def.FetchX509Bundles.path).to.equal('/SpiffeWorkloadAPI/FetchX509Bundles')
    expect(def.FetchJWTSVID.path).to.equal('/SpiffeWorkloadAPI/FetchJWTSVID')
    expect(def.FetchJWTBundles.path).to.equal('/SpiffeWorkloadAPI/FetchJWTBundles')
    expect(def.ValidateJWTSVID.path).to.equal('/SpiffeWorkloadAPI/ValidateJWTSVID')
    expect([def.FetchX509SVID.responseStream, def.FetchX509Bundles.responseStream, def.FetchJWTBundles.responseStream]).to.deep.equal([true, true, true])
    expect([def.FetchJWTSVID.responseStream, def.ValidateJWTSVID.responseStream]).to.deep.equal([false, false])
  })
})
