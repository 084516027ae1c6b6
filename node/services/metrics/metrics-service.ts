/**
 * Prometheus metrics of one node (DESIGN.md section 15), on a registry of its own (never prom-client's
 * global one, so two nodes in one process do not mix). The task pipeline reports each decision
 * through the `metrics` component (TaskMetrics); the other figures are read from narrow components
 * when scraped: peers connected, gossip records in/out/rejected, audit log size, approvals pending,
 * sagas by state.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Components, Service, TaskMetrics } from '../../components.js'

export const METRICS_DEPENDENCIES = ['registry', 'gossip', 'audit', 'approvals', 'sagas'] as const
/** Every saga state, each reported (0 included) so a dashboard sees the series before the first saga. */
const SAGA_STATES = ['running', 'compensating', 'completed', 'compensated', 'stuck'] as const
export type MetricsComponents = Pick<Components, typeof METRICS_DEPENDENCIES[number]>

/** Decision latency buckets, in seconds (a decision is expected within milliseconds). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

export interface MetricsService extends Service {
  /** The component the task pipeline reports to. */
  readonly tasks: TaskMetrics
  /** Prometheus text exposition of every metric. */
  scrape: () => Promise<{ contentType: string, body: string }>
}

export function createMetricsService (ctx: MetricsComponents): MetricsService {
  const registry = new Registry()
  const tasks = new Counter({ name: 'trustmesh_tasks_total', help: 'Inbound tasks decided, by outcome and reason code', labelNames: ['outcome', 'code'] as const, registers: [registry] })
  const latency = new Histogram({ name: 'trustmesh_decision_latency_seconds', help: 'Time from a task\'s arrival to its authorisation decision', buckets: LATENCY_BUCKETS, registers: [registry] })
  new Gauge({ name: 'trustmesh_peers_connected', help: 'Partner nodes connected with a verified hello', registers: [registry], collect () { this.set(ctx.registry.peers().length) } })
  new Gauge({ name: 'trustmesh_audit_log_entries', help: 'Entries in this node\'s audit log', registers: [registry], collect () { this.set(ctx.audit.size()) } })
  new Gauge({ name: 'trustmesh_approvals_pending', help: 'Tasks parked for a human decision', registers: [registry], collect () { this.set(ctx.approvals.pending()) } })
  new Gauge({
    name: 'trustmesh_sagas',
    help: 'Sagas this node coordinates, by state (stuck ones wait for an operator)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect () {
      const by = ctx.sagas.byState()
      for (const state of SAGA_STATES) this.set({ state }, by[state] ?? 0)
    }
  })
  // gossip intake counters live in record gossip; they only grow, so a counter mirrors them at scrape time
  new Counter({
    name: 'trustmesh_gossip_records_total',
    help: 'Signed gossip records by topic and direction (in: accepted from peers, out: published, rejected: invalid, ignored: valid but not kept: over a per-peer or per-issuer cap, or signed by a retired key)',
    labelNames: ['topic', 'direction'] as const,
    registers: [registry],
    collect () {
      this.reset()
      for (const [topic, c] of Object.entries(ctx.gossip.stats())) {
        this.inc({ topic, direction: 'in' }, Math.max(0, c.accepted - c.published))
        this.inc({ topic, direction: 'out' }, c.published)
        this.inc({ topic, direction: 'rejected' }, c.invalid)
        this.inc({ topic, direction: 'ignored' }, c.ignored)
      }
    }
  })

  return {
    name: 'metrics',
    dependencies: METRICS_DEPENDENCIES,
    tasks: {
      taskDecided (outcome, code, ms) {
        tasks.inc({ outcome, code })
        latency.observe(Math.max(0, ms) / 1000)
      }
    },
    scrape: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    async start () {},
    async stop () {}
  }
}
