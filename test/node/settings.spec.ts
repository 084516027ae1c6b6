/** node/settings.ts: the gossip caps (issue 15 item 2) read once, from config, else environment, else defaults. */
import { expect } from 'chai'
import { DEFAULT_GOSSIP_MAX_PER_ISSUER, DEFAULT_GOSSIP_MAX_PER_PEER, resolveSettings, SettingsError } from '../../node/settings.js'

describe('node settings: gossip caps', () => {
  it('default to 2000 records a topic per peer and 500 per issuer', () => {
    expect(resolveSettings({}, {}).gossipLimits).to.deep.equal({ perPeer: 2_000, perIssuer: 500 })
    expect([DEFAULT_GOSSIP_MAX_PER_PEER, DEFAULT_GOSSIP_MAX_PER_ISSUER]).to.deep.equal([2_000, 500])
  })

  it('read TRUSTMESH_GOSSIP_MAX_PER_PEER and TRUSTMESH_GOSSIP_MAX_PER_ISSUER; blank means default', () => {
    expect(resolveSettings({}, { TRUSTMESH_GOSSIP_MAX_PER_PEER: '300', TRUSTMESH_GOSSIP_MAX_PER_ISSUER: '40' }).gossipLimits).to.deep.equal({ perPeer: 300, perIssuer: 40 })
    expect(resolveSettings({}, { TRUSTMESH_GOSSIP_MAX_PER_PEER: ' ', TRUSTMESH_GOSSIP_MAX_PER_ISSUER: '7' }).gossipLimits).to.deep.equal({ perPeer: 2_000, perIssuer: 7 })
  })

  it('config given by the caller wins over the environment', () => {
    const s = resolveSettings({ gossipLimits: { perPeer: 5, perIssuer: 2 } }, { TRUSTMESH_GOSSIP_MAX_PER_PEER: '300' })
    expect(s.gossipLimits).to.deep.equal({ perPeer: 5, perIssuer: 2 })
  })

  for (const bad of ['0', '-1', 'many', 'NaN', 'Infinity', '1e400']) {
    it(`refuses ${JSON.stringify(bad)} with INVALID_CONFIG naming the variable`, () => {
      for (const name of ['TRUSTMESH_GOSSIP_MAX_PER_PEER', 'TRUSTMESH_GOSSIP_MAX_PER_ISSUER']) {
        let err: unknown
        try { resolveSettings({}, { [name]: bad }) } catch (e) { err = e }
        expect(err).to.be.instanceOf(SettingsError)
        expect((err as SettingsError).code).to.equal('INVALID_CONFIG')
        expect((err as Error).message).to.include(name)
      }
    })
  }
})
