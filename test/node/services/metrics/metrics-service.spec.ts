/**
 * The metrics a node exposes, read from its components at scrape time (DESIGN.md section 15): sagas
 * by state (every state present, 0 included), with the gauges beside them.
 */
import { expect } from 'chai'
import { createMetricsService, type MetricsComponents } from '../../../../node/services/metrics/metrics-service.js'

function metricValue (text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(`${name}${labels} `))
  return line == null ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('metrics service', () => {
  it('reports sagas by state (0 for states with none), approvals pending and audit size as they are at scrape time', async () => {
    let sagas: Record<string, number> = { stuck: 2, completed: 5 }
    const ctx = {
      registry: { peers: () => [] },
      gossip: { stats: () => ({ revocations: { accepted: 5, duplicate: 1, invalid: 2, ignored: 3, synced: 0, published: 1 } }) },
      audit: { size: () => 7 },
      approvals: { pending: () => 1 },
      sagas: { byState: () => sagas }
    } as unknown as MetricsComponents
    const m = createMetricsService(ctx)
    let text = (await m.scrape()).body
    expect(metricValue(text, 'trustmesh_sagas', '{state="stuck"}')).to.equal(2)
    expect(metricValue(text, 'trustmesh_sagas', '{state="completed"}')).to.equal(5)
    expect(metricValue(text, 'trustmesh_sagas', '{state="running"}')).to.equal(0)
    expect(metricValue(text, 'trustmesh_approvals_pending')).to.equal(1)
    expect(metricValue(text, 'trustmesh_audit_log_entries')).to.equal(7)
    // gossip: a flood over the caps shows as ignored, forged records as rejected
    expect(metricValue(text, 'trustmesh_gossip_records_total', '{topic="revocations",direction="ignored"}')).to.equal(3)
    expect(metricValue(text, 'trustmesh_gossip_records_total', '{topic="revocations",direction="rejected"}')).to.equal(2)
    expect(metricValue(text, 'trustmesh_gossip_records_total', '{topic="revocations",direction="in"}')).to.equal(4)
    sagas = { running: 1 }
    text = (await m.scrape()).body
    expect(metricValue(text, 'trustmesh_sagas', '{state="running"}')).to.equal(1)
    expect(metricValue(text, 'trustmesh_sagas', '{state="stuck"}')).to.equal(0)
  })
})
