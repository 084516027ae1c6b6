/** The invoking node's check of a partner's reply and receipt (DESIGN.md section 11: receipts). */
import { expect } from 'chai'
import { issueDelegation, issueInvocation } from '../../../../identity/ucan/index.js'
import { issueReceipt, type ReceiptClaims } from '../../../../node/services/tasks/receipt.js'
import { checkRemoteReply, checkStatusReceipt } from '../../../../node/services/tasks/reply-check.js'
import type { TaskReply } from '../../../../protocols/task/messages.js'
import { acme, alice, bob, globex, mallory, principal } from '../../../helpers/principals.js'

const globexNode = principal('globex-node')
const T = 1_800_000_000

describe('tasks: the invoking node checks the receipt of a remote reply', () => {
  let invocation: string
  let invCid: string
  before(async () => {
    const root = await issueDelegation(acme, { audience: alice.did, capabilities: { [`tm:${acme.did}/records`]: { 'records/read': [{}] } }, expiration: T + 3600, nonce: 'r1', proofs: [] })
    const inv = await issueInvocation(alice, { audience: bob.did, resource: `tm:${acme.did}/records`, ability: 'records/read', proof: root.jwt, nonce: 'n1', expiration: T + 60 })
    invocation = inv.jwt
    invCid = inv.cid
  })

  const reply = async (over: Partial<Omit<ReceiptClaims, 'iss'>> = {}): Promise<TaskReply> => {
    const claims = { org: globex.did, inv: invCid, executor: bob.did, invoker: alice.did, outcome: 'ok' as const, code: 'OK', durationMs: 3, iat: T, ...over }
    return { outcome: claims.outcome, code: claims.code, reason: 'done', receipt: await issueReceipt(globexNode, claims) }
  }

  it('accepts a receipt by the answering node for the agent the task was sent to', async () => {
    const r = checkRemoteReply(await reply(), { targetOrg: globex.did, invocation, node: globexNode.did })
    expect(r.ok ? r.value.executor : r.error.code).to.equal(bob.did)
  })

  it('refuses a receipt whose executor is not the agent the task was sent to (BAD_RECEIPT)', async () => {
    const r = checkRemoteReply(await reply({ executor: mallory.did }), { targetOrg: globex.did, invocation, node: globexNode.did })
    expect(r.ok ? 'ok' : r.error.code).to.equal('BAD_RECEIPT')
    expect(r.ok ? '' : r.error.message).to.include(mallory.did)
  })

  it('refuses a receipt whose invoker is not the agent that sent the task (BAD_RECEIPT)', async () => {
    const r = checkRemoteReply(await reply({ invoker: mallory.did }), { targetOrg: globex.did, invocation, node: globexNode.did })
    expect(r.ok ? 'ok' : r.error.code).to.equal('BAD_RECEIPT')
  })

  it('refuses a receipt from another org, another node, or for another invocation, and a reply without one', async () => {
    const codes = [
      checkRemoteReply(await reply({ org: acme.did }), { targetOrg: globex.did, invocation, node: globexNode.did }),
      checkRemoteReply(await reply(), { targetOrg: globex.did, invocation, node: mallory.did }),
      checkRemoteReply(await reply({ inv: 'bafkreiother' }), { targetOrg: globex.did, invocation, node: globexNode.did }),
      checkRemoteReply({ ...(await reply()), code: 'OTHER' }, { targetOrg: globex.did, invocation, node: globexNode.did }),
      checkRemoteReply({ outcome: 'ok', code: 'OK' }, { targetOrg: globex.did, invocation, node: globexNode.did })
    ].map(r => r.ok ? 'ok' : r.error.code)
    expect(codes).to.deep.equal(['BAD_RECEIPT', 'BAD_RECEIPT', 'BAD_RECEIPT', 'BAD_RECEIPT', 'NO_RECEIPT'])
  })

  it('accepts a receipt under the target org\'s successor DID (a task in flight across its key rotation), and no other org', async () => {
    const globex2 = principal('globex-2')
    const succession = (a: string, b: string): boolean => a === b || (new Set([a, b]).has(globex.did) && new Set([a, b]).has(globex2.did))
    const rotated = await reply({ org: globex2.did })
    expect(checkRemoteReply(rotated, { targetOrg: globex.did, invocation, node: globexNode.did }).ok, 'without the successor record').to.equal(false)
    const r = checkRemoteReply(rotated, { targetOrg: globex.did, invocation, node: globexNode.did, sameOrg: succession })
    expect(r.ok ? r.value.org : r.error.code).to.equal(globex2.did)
    const other = checkRemoteReply(await reply({ org: acme.did }), { targetOrg: globex.did, invocation, node: globexNode.did, sameOrg: succession })
    expect(other.ok ? 'ok' : other.error.code).to.equal('BAD_RECEIPT')
  })

  it('a task-status answer: its receipt may come from the target org under its successor DID (a saga resumed after the partner rotated), no other org, and must agree', async () => {
    const globex2 = principal('globex-2')
    const succession = (a: string, b: string): boolean => a === b || (new Set([a, b]).has(globex.did) && new Set([a, b]).has(globex2.did))
    const rotated = await reply({ org: globex2.did })
    const expected = { taskId: invCid, targetOrg: globex.did, node: globexNode.did }
    expect(checkStatusReceipt(rotated, expected).ok, 'without the successor record').to.equal(false)
    expect(checkStatusReceipt(rotated, { ...expected, sameOrg: succession }).ok).to.equal(true)
    expect(checkStatusReceipt(await reply(), expected).ok).to.equal(true)
    const other = await reply({ org: acme.did })
    expect(checkStatusReceipt(other, { ...expected, sameOrg: succession }).ok).to.equal(false)
    // the answer must agree with its receipt, and the receipt name the task asked about
    expect(checkStatusReceipt({ ...(await reply()), outcome: 'error' }, expected).ok).to.equal(false)
    expect(checkStatusReceipt(await reply(), { ...expected, taskId: 'bafkreiother' }).ok).to.equal(false)
    expect(checkStatusReceipt(await reply(), { ...expected, node: mallory.did }).ok).to.equal(false)
  })
})
