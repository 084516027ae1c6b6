import { expect } from 'chai'
import { authorizeTask, type AuthzInput } from '../../authz/authorize-task.js'
import type { ValidatedChain } from '../../identity/ucan/index.js'

const invoker = { did: 'did:key:bob', org: 'did:key:globex', ring: 2, name: 'bob', capabilities: [], credential: '' }

function input (caveats: Array<Record<string, unknown>>, args: unknown): AuthzInput {
  const capability = { resource: 'tm:did:key:acme/records', ability: 'records/read', caveats }
  const chain = { capability, links: [{ index: 0, issuer: 'did:key:acme', capability }] } as unknown as ValidatedChain
  return { chain, principals: [], invoker, selfOrg: 'did:key:acme', orgMaxRing: 3, policy: undefined, args }
}

describe('authz/authorize-task caveat misses', () => {
  it('derives the code from structured causes, not from message text', () => {
    const d = authorizeTask(input([{ maxAmount: 5 }, { colour: 'red' }], { amount: 10 }))
    expect(d.effect).to.equal('deny')
    expect(d.code).to.equal('UNKNOWN_CAVEAT')
    expect(d.reason).to.equal('no caveat of the delegation holds: maxAmount 5 (args.amount 10); unknown caveat field colour')
    expect(d.causes).to.deep.equal([
      { code: 'CAVEAT_NOT_MET', field: 'maxAmount', message: 'maxAmount 5 (args.amount 10)' },
      { code: 'UNKNOWN_CAVEAT', field: 'colour', message: 'unknown caveat field colour' }
    ])
  })

  it('an unavailable carried policy outranks a plain miss', () => {
    const d = authorizeTask(input([{ maxAmount: 5 }, { policy: 'sha256:x' }], { amount: 10 }))
    expect(d.code).to.equal('POLICY_UNAVAILABLE')
    expect(d.causes?.map(c => c.code)).to.deep.equal(['CAVEAT_NOT_MET', 'POLICY_UNAVAILABLE'])
  })
})
