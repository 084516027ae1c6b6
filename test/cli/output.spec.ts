/** The CLI's tables fit 100 columns: wide fields are shortened in the middle; `--wide` shows them in full. */
import { expect } from 'chai'
import { shorten, table, TABLE_WIDTH } from '../../cli/output.js'

const DID = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'

describe('cli tables', () => {
  it('fit 100 columns with DIDs and ids shortened in the middle', () => {
    const rows = [['acme', DID, 'connected', '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp', 1, true, 'spiffe://acme.example/node']]
    const t = table(['name', 'org DID', 'state', 'PeerId', 'max ring', 'pre-trusted', 'SPIFFE'], rows)
    for (const line of t.split('\n')) expect(line.length).to.be.at.most(TABLE_WIDTH)
    expect(t).to.contain('did:key:')
    expect(t).to.contain('…')
    expect(t).to.contain(DID.slice(-3))
  })

  it('leave narrow tables alone and show everything when wide', () => {
    expect(table(['a', 'b'], [['x', 'y']])).to.equal('a  b\nx  y')
    const wide = table(['DID', 'DID again'], [[DID, DID]], Infinity)
    expect(wide).to.contain(`${DID}  ${DID}`)
  })

  it('shorten keeps prefix and suffix', () => {
    expect(shorten(DID, 20)).to.have.length(20)
    expect(shorten(DID, 20)).to.match(/^did:key:z6Mk[^…]*…[^…]*doK$/)
    expect(shorten('short', 20)).to.equal('short')
  })
})
