/** The policy protocol's handler and client over an in-memory stream pair. */
import { expect } from 'chai'
import { streamPair } from '@libp2p/utils'
import { createPolicyHandler, requestPolicy } from '../../../protocols/policy/index.js'

const KNOWN = `sha256:${'a'.repeat(64)}`
const OTHER = `sha256:${'b'.repeat(64)}`

describe('protocols/policy', () => {
  const handler = createPolicyHandler({ lookupPolicy: (digest) => digest === KNOWN ? '{"levels":[]}' : undefined })

  it('serves a policy it holds', async () => {
    const [client, server] = await streamPair()
    const served = handler(server)
    expect(await requestPolicy(client, KNOWN)).to.deep.equal({ v: 1, found: true, policy: '{"levels":[]}' })
    await served
  })

  it('answers found: false for a digest it does not hold', async () => {
    const [client, server] = await streamPair()
    const served = handler(server)
    expect(await requestPolicy(client, OTHER)).to.deep.equal({ v: 1, found: false })
    await served
  })
})
