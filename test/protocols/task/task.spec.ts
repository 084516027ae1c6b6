/** The task protocol's handler and client over an in-memory stream pair (no libp2p node). */
import { expect } from 'chai'
import { streamPair } from '@libp2p/utils'
import type { Connection } from '@libp2p/interface'
import { createTaskHandler, sendTaskRequest, type TaskReply, type TaskRequest } from '../../../protocols/task/index.js'

const conn = { id: 'c1', remotePeer: { toString: () => '12D3KooWpeer' } } as unknown as Connection
const request: TaskRequest = { v: 1, invocation: 'inv', proofs: {}, credentials: {}, args: { n: 1 } }
const warnings: string[] = []
const logger = { warn: (m: string) => { warnings.push(m) } }

describe('protocols/task', () => {
  beforeEach(() => { warnings.length = 0 })

  it('passes the request and the verified org to execute and returns its reply', async () => {
    const [client, server] = await streamPair()
    let seen: { req?: TaskRequest, org?: string } = {}
    const handler = createTaskHandler({
      execute: async (req, from) => { seen = { req, org: from.orgDid }; return { outcome: 'ok', code: 'OK', output: 42 } },
      verifiedOrgOf: () => 'did:key:acme',
      logger
    })
    const served = handler(server, conn)
    const reply = await sendTaskRequest(client, request, { signal: AbortSignal.timeout(2_000) })
    await served
    expect(reply).to.deep.equal({ outcome: 'ok', code: 'OK', output: 42 })
    expect(seen).to.deep.equal({ req: request, org: 'did:key:acme' })
    expect(warnings).to.deep.equal([])
  })

  it('names an unverified connection `unknown`', async () => {
    const [client, server] = await streamPair()
    const handler = createTaskHandler({ execute: async (_req, from) => ({ outcome: 'denied', code: from.orgDid }), verifiedOrgOf: () => undefined, logger })
    const served = handler(server, conn)
    expect((await sendTaskRequest(client, request)).code).to.equal('unknown')
    await served
  })

  it('aborts the signal given to execute when the requester goes away', async () => {
    const [client, server] = await streamPair()
    let aborted: Promise<void> | undefined
    const handler = createTaskHandler({
      execute: async (_req, _from, { signal }) => {
        aborted = new Promise(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
        await aborted
        return { outcome: 'error', code: 'ABORTED' } satisfies TaskReply
      },
      verifiedOrgOf: () => 'did:key:acme',
      logger
    })
    const served = handler(server, conn)
    const controller = new AbortController()
    const sent = sendTaskRequest(client, request, { signal: controller.signal })
    const deadline = Date.now() + 2_000
    while (aborted == null && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 5))
    expect(aborted, 'execute was called').to.not.equal(undefined)
    controller.abort()
    await sent.then(() => { throw new Error('expected the request to fail') }, () => {})
    await served
    expect(warnings).to.deep.equal(['bad task stream'])
  })

  it('resets the stream and logs on a malformed request', async () => {
    const [client, server] = await streamPair()
    const handler = createTaskHandler({ execute: async () => ({ outcome: 'ok', code: 'OK' }), verifiedOrgOf: () => 'did:key:acme', logger })
    const served = handler(server, conn)
    const err = await sendTaskRequest(client, { v: 2 } as unknown as TaskRequest, { signal: AbortSignal.timeout(2_000) }).then(() => undefined, e => e as Error)
    expect(err).to.be.instanceOf(Error)
    await served
    expect(warnings).to.deep.equal(['bad task stream'])
  })
})
