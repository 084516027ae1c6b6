/** The agents directory's handler and client over an in-memory stream pair. */
import { expect } from 'chai'
import { streamPair } from '@libp2p/utils'
import { createAgentsHandler, requestAgents, MAX_AGENTS_LISTED } from '../../../protocols/agents/index.js'

describe('protocols/agents', () => {
  it('lists at most MAX_AGENTS_LISTED credentials', async () => {
    const many = Array.from({ length: MAX_AGENTS_LISTED + 5 }, (_, i) => `jwt-${i}`)
    const [client, server] = await streamPair()
    const served = createAgentsHandler({ listAgentCredentials: async () => many })(server)
    const got = await requestAgents(client)
    await served
    expect(got).to.deep.equal(many.slice(0, MAX_AGENTS_LISTED))
  })
})
