/** The agents directory's handler and client over an in-memory stream pair. */
import { expect } from 'chai'
import { streamPair } from '@libp2p/utils'
import { createAgentsHandler, requestAgents, MAX_AGENTS_LISTED } from '../../../protocols/agents/index.js'

describe('protocols/agents', () => {
  it('lists at most MAX_AGENTS_LISTED credentials, with the acceptances beside them', async () => {
    const many = Array.from({ length: MAX_AGENTS_LISTED + 5 }, (_, i) => `jwt-${i}`)
    const [client, server] = await streamPair()
    const served = createAgentsHandler({ listAgentCredentials: async () => ({ credentials: many, acceptances: { cid0: 'acc-0' } }) })(server)
    const got = await requestAgents(client)
    await served
    expect(got).to.deep.equal({ credentials: many.slice(0, MAX_AGENTS_LISTED), acceptances: { cid0: 'acc-0' } })
  })
})
