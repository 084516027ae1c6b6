import { expect } from 'chai'
import { admitEvidence, countOutcomes, parseEvidence, type EvidenceRecord } from '../../trust/evidence.js'

const NOW = Date.UTC(2026, 0, 1)

function rec (cid: string, extra: Partial<EvidenceRecord> = {}): EvidenceRecord {
  return { receiptCid: cid, executorOrg: 'did:org:acme', subjectAgent: 'did:agent:bob', subjectOrg: 'did:org:globex', outcome: 'ok', at: NOW - 1000, ...extra }
}

describe('trust evidence', () => {
  it('counts a receipt once', () => {
    const { accepted, rejected } = admitEvidence([rec('a'), rec('a'), rec('b')], { now: NOW })
    expect(accepted.map(r => r.receiptCid)).to.deep.equal(['a', 'b'])
    expect(rejected.map(r => r.error.code)).to.deep.equal(['DUPLICATE_RECEIPT'])
  })

  it('drops every copy of a receipt seen with conflicting contents', () => {
    const { accepted, rejected } = admitEvidence([rec('a'), rec('a', { outcome: 'error' }), rec('a'), rec('b')], { now: NOW })
    expect(accepted.map(r => r.receiptCid)).to.deep.equal(['b'])
    expect(rejected.map(r => r.error.code)).to.deep.equal(['CONFLICTING_RECEIPT', 'CONFLICTING_RECEIPT', 'CONFLICTING_RECEIPT'])
  })

  it('excludes self-evidence: the subject org ran and signed it', () => {
    const { accepted, rejected } = admitEvidence([rec('a', { executorOrg: 'did:org:globex' })], { now: NOW })
    expect(accepted).to.have.length(0)
    expect(rejected[0].error.code).to.equal('SELF_EVIDENCE')
  })

  it('rejects evidence from the future beyond the skew, accepts within it', () => {
    const { accepted, rejected } = admitEvidence([rec('a', { at: NOW + 61_000 }), rec('b', { at: NOW + 59_000 })], { now: NOW })
    expect(accepted.map(r => r.receiptCid)).to.deep.equal(['b'])
    expect(rejected[0].error.code).to.equal('FUTURE_EVIDENCE')
  })

  it('rejects malformed records', () => {
    const bad: unknown[] = [null, {}, { ...rec('a'), outcome: 'great' }, { ...rec('a'), at: -1 }, { ...rec('a'), at: 1.5 }, { ...rec('a'), receiptCid: '' },
      { ...rec('a'), policyViolation: 'yes' }, { ...rec('a'), subjectOrg: 'x'.repeat(513) }]
    for (const b of bad) expect(parseEvidence(b)).to.have.nested.property('error.code', 'INVALID_EVIDENCE')
    const { accepted, rejected } = admitEvidence(bad as EvidenceRecord[], { now: NOW })
    expect(accepted).to.have.length(0)
    expect(rejected).to.have.length(bad.length)
  })

  it('counts outcomes', () => {
    expect(countOutcomes([rec('a'), rec('b', { outcome: 'denied' }), rec('c', { outcome: 'timeout' }), rec('d', { outcome: 'ok' })]))
      .to.deep.equal({ ok: 2, error: 0, denied: 1, timeout: 1 })
  })
})
