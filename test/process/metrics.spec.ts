/**
 * Prometheus metrics and /healthz of a node process (`--metrics-listen`): after a few tasks the scrape
 * shows them by outcome and reason code, the decision latency histogram counts them, and the peers,
 * approvals pending and audit size gauges match the node's state.
 */
import { expect } from 'chai'
import { stopAllNodes } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'
import { api, pair, sendPayment } from './payments-pair.js'

function metric (text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(`${name}${labels === '' ? ' ' : `{${labels}} `}`))
  return line == null ? undefined : Number(line.split(' ').pop())
}

describe('node metrics', function () {
  this.timeout(60_000)
  let orgs: OrgTemplates
  before(async function () { orgs = await makeOrgTemplates(['acme', 'globex']) })
  afterEach(async () => { await stopAllNodes(); orgs.cleanupCopies() })
  after(() => { orgs?.cleanup() })

  it('counts tasks by outcome and code, decision latency, peers, approvals pending and audit size', async () => {
    const p = await pair(orgs, { extraArgs: ['--metrics-listen', '127.0.0.1:0'] })
    const status = await api<{ metricsListen?: string }>(p.globex.dir, 'GET', '/v1/status')
    expect(status.metricsListen).to.match(/^127\.0\.0\.1:\d+$/)
    const base = `http://${status.metricsListen as string}`

    const sent = [await sendPayment(p, { amount: 1 }), await sendPayment(p, { amount: 2 }), await sendPayment(p, { amount: 500000 })]
    expect(sent.map(s => s.outcome)).to.deep.equal(['pending', 'pending', 'denied'])
    const denyCode = sent[2].code

    const health = await fetch(`${base}/healthz`)
    expect(health.status).to.equal(200)
    expect(((await health.json()) as { status: string }).status).to.equal('ok')

    const res = await fetch(`${base}/metrics`)
    expect(res.status).to.equal(200)
    expect(res.headers.get('content-type')).to.contain('text/plain')
    const text = await res.text()
    expect(metric(text, 'trustmesh_tasks_total', 'outcome="pending",code="APPROVAL_REQUIRED"')).to.equal(2)
    expect(metric(text, 'trustmesh_tasks_total', `outcome="denied",code="${denyCode}"`)).to.equal(1)
    expect(metric(text, 'trustmesh_decision_latency_seconds_count')).to.equal(3)
    expect(metric(text, 'trustmesh_peers_connected')).to.equal(1)
    expect(metric(text, 'trustmesh_approvals_pending')).to.equal(2)
    expect(metric(text, 'trustmesh_audit_log_entries')).to.be.greaterThan(3)
    expect(text).to.match(/trustmesh_gossip_records_total\{topic="[^"]+",direction="out"\} \d+/)
    expect((await fetch(`${base}/nope`)).status).to.equal(404)
  })
})
