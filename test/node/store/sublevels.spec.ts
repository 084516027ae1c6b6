/** The sublevel registry: required names present, unique, well-formed, never a retired name. */
import { expect } from 'chai'
import { RETIRED_SUBLEVELS, SUBLEVELS, isSublevelName, sublevelNames } from '../../../node/store/sublevels.js'

describe('store: sublevel names', () => {
  it('names every required sublevel', () => {
    const required = ['meta', 'agents', 'credentials', 'peers', 'peer-bindings', 'revocations', 'nonces', 'invocations',
      'receipts', 'delegations', 'approvals', 'tasks', 'policies', 'elevations', 'audit-entries', 'audit-checkpoints',
      'audit-cosignatures', 'trust-evidence', 'trust-attestations', 'libp2p']
    expect(sublevelNames()).to.include.members(required)
  })

  it('names are unique, lower-case ASCII (sorting after the ! separator) and not retired', () => {
    const names = sublevelNames()
    expect(new Set(names).size).to.equal(names.length)
    for (const n of names) {
      expect(n).to.match(/^[a-z0-9][a-z0-9-]*$/)
      expect(RETIRED_SUBLEVELS).to.not.include(n)
    }
    expect(isSublevelName(SUBLEVELS.peerBindings)).to.equal(true)
    expect(isSublevelName('nope')).to.equal(false)
  })
})
