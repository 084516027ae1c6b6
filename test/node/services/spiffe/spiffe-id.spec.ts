import { expect } from 'chai'
import { parseSpiffeId } from '../../../../node/services/spiffe/spiffe-id.js'
import { parseEndpointAddress } from '../../../../node/services/spiffe/endpoint-address.js'

describe('spiffe/parseSpiffeId', function () {
  const good = ['spiffe://acme.test/trustmesh/node', 'spiffe://a', 'spiffe://a-b_c.9/x/Y.z-_/0', 'spiffe://td/a.b']
  for (const id of good) {
    it(`accepts ${id}`, function () {
      const r = parseSpiffeId(id)
      expect(r.ok, JSON.stringify(r)).to.equal(true)
    })
  }
  const bad = [
    'SPIFFE://acme.test/x', 'spiffe://ACME.test/x', 'spiffe:///x', 'spiffe://', 'https://acme.test/x',
    'spiffe://acme.test:8443/x', 'spiffe://user@acme.test/x', 'spiffe://acme.test/x?q=1', 'spiffe://acme.test/x#f',
    'spiffe://acme.test/', 'spiffe://acme.test//x', 'spiffe://acme.test/./x', 'spiffe://acme.test/x/..', 'spiffe://acme.test/%41',
    'spiffe://acme.test/x y', 'spiffe://acme.test/é', ' spiffe://acme.test/x', 'spiffe://' + 'a'.repeat(256), 'spiffe://a/' + 'b'.repeat(2050)
  ]
  for (const id of bad) {
    it(`refuses ${JSON.stringify(id.slice(0, 60))}`, function () {
      const r = parseSpiffeId(id)
      expect(r.ok).to.equal(false)
      if (!r.ok) expect(r.error.code).to.equal('BAD_SPIFFE_ID')
    })
  }
  it('splits trust domain and path', function () {
    const r = parseSpiffeId('spiffe://acme.test/trustmesh/node')
    expect(r.ok && r.value).to.deep.equal({ id: 'spiffe://acme.test/trustmesh/node', trustDomain: 'acme.test', path: '/trustmesh/node' })
  })
})

describe('spiffe/parseEndpointAddress', function () {
  const good: Array<[string, string]> = [
    ['unix:///run/spire/agent.sock', 'unix:///run/spire/agent.sock'],
    ['tcp://127.0.0.1:8081', 'ipv4:127.0.0.1:8081'],
    ['tcp://[::1]:8081', 'ipv6:[::1]:8081']
  ]
  for (const [addr, target] of good) {
    it(`accepts ${addr}`, function () { expect(parseEndpointAddress(addr).grpcTarget).to.equal(target) })
  }
  const bad = [
    '', 'unix://run/agent.sock', 'unix:/run/agent.sock', 'unix://host/run/agent.sock', 'unix:///run/', '/run/agent.sock',
    'tcp://localhost:8081', 'tcp://127.0.0.1', 'tcp://127.0.0.1:0', 'tcp://127.0.0.1:65536', 'tcp://127.0.0.1:8081/x',
    'tcp://user@127.0.0.1:8081', 'tcp://[127.0.0.1]:8081', 'tcp://::1:8081', 'tcp://999.0.0.1:80', 'tcp://127.0.0.1:080',
    'unix:///run/agent.sock?x=1', 'unix:///run/agent.sock#f', 'http://127.0.0.1:80', 'unix:///run/agent sock'
  ]
  for (const addr of bad) {
    it(`refuses ${JSON.stringify(addr)}`, function () {
      expect(() => parseEndpointAddress(addr)).to.throw().with.property('code', 'SPIFFE_BAD_ADDRESS')
    })
  }
})
