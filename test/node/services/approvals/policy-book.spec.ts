/** Carried policies by digest: a document is accepted only if it re-validates and hashes to its digest. */
import { expect } from 'chai'
import { MemoryRepository } from '../../../../node/store/memory-repository.js'
import { PolicyBook, policyFromCanonical, type StoredPolicy } from '../../../../node/services/approvals/policy-book.js'
import { canonicalPolicy, loadPolicyText, policyDigest, DEFAULT_POLICY_YAML, evaluatePolicy } from '../../../../authz/index.js'

const child = `version: 1
name: child
extends: [policy.yaml]
rules:
  - id: no-secrets
    effect: deny
    match: { ability: "*/read", args: { secret: { eq: true } } }
`

describe('approvals: carried policies by digest', () => {
  const policy = loadPolicyText(child, 'child.yaml', (r) => r === 'policy.yaml' ? DEFAULT_POLICY_YAML : undefined)
  const digest = policyDigest(policy)

  it('the canonical form round-trips to the same digest and the same decisions', () => {
    const back = policyFromCanonical(canonicalPolicy(policy), digest)
    expect(back.ok).to.equal(true)
    if (!back.ok) return
    expect(policyDigest(back.value)).to.equal(digest)
    const req = { ability: 'records/read', resource: 'tm:x/records', callerOrg: 'did:key:z6Mkself', callerAgent: 'did:key:z6Mka', selfOrg: 'did:key:z6Mkself', ring: 3, args: { secret: true } }
    expect(evaluatePolicy(back.value, req).effect).to.equal('deny')
    expect(evaluatePolicy(back.value, { ...req, args: { secret: false } }).effect).to.equal('allow')
  })

  it('refuses a document that does not hash to the digest asked for (a substituted, looser policy)', async () => {
    const book = new PolicyBook(new MemoryRepository<StoredPolicy>('policies'))
    const looser = loadPolicyText(DEFAULT_POLICY_YAML, 'policy.yaml')
    const r = await book.addFetched(digest, canonicalPolicy(looser), 'did:key:peer', 0)
    expect(r.ok ? 'ok' : r.error.code).to.equal('POLICY_DIGEST_MISMATCH')
    expect(book.has(digest)).to.equal(false)
  })

  it('refuses malformed documents and unknown fields', async () => {
    const book = new PolicyBook(new MemoryRepository<StoredPolicy>('policies'))
    for (const text of ['not json', '{}', '{"levels":[]}', JSON.stringify({ levels: [{ version: 1, name: 'x', rules: [], rings: {}, extra: 1 }] })]) {
      const r = await book.addFetched(digest, text, 'did:key:peer', 0)
      expect(r.ok, text).to.equal(false)
    }
  })

  it('persists what it accepted (a restart needs no mesh)', async () => {
    const repo = new MemoryRepository<StoredPolicy>('policies')
    const book = new PolicyBook(repo)
    expect((await book.addFetched(digest, canonicalPolicy(policy), 'did:key:peer', 0)).ok).to.equal(true)
    const again = new PolicyBook(repo)
    await again.load()
    expect(again.has(digest)).to.equal(true)
  })
})
