/**
 * B1: AgentCredential verification throughput and latency. Verifies a pool of valid credentials
 * for about 2 s on the native path (target >= 5,000/s per core, p99 < 1 ms) and about 1.5 s on the
 * did-jwt path, shown beside it for comparison. Single-threaded; the rate is verifications per CPU
 * second of this process (per core), so other load on a shared machine does not distort it; the
 * wall-clock rate is shown in the note.
 */
import { performance } from 'node:perf_hooks'
import { createHash } from 'node:crypto'
import { issueAgentCredential, verifyCredential, verifyCredentialDidJwt, type VerifyCredentialOptions } from '../identity/credentials.js'
import { Ed25519Signer } from '../identity/signer.js'
import type { Clock } from '../identity/clock.js'
import { fmtRate, percentile, type BenchFigure } from './report.js'

const POOL = 256
const NATIVE_MS = 2000
const DIDJWT_MS = 1500

function seed (label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`trustmesh-bench-b1:${label}`).digest())
}

/** `rate` is per CPU-second of this thread (per core); `wallRate` is what the wall clock saw. */
interface Run { rate: number, wallRate: number, p99: number, p50: number, n: number }

function summarise (samples: number[], elapsed: number, cpu: NodeJS.CpuUsage): Run {
  const cpuMs = (cpu.user + cpu.system) / 1000
  return { rate: (samples.length / cpuMs) * 1000, wallRate: (samples.length / elapsed) * 1000, p99: percentile(samples, 99), p50: percentile(samples, 50), n: samples.length }
}

function rejected (i: number): Error {
  return new Error(`B1: a valid credential was rejected (pool index ${i})`)
}

/** The native path is synchronous; measuring it without awaits keeps event-loop overhead out. */
function measureSync (durationMs: number, verify: (jwt: string) => boolean, pool: readonly string[]): Run {
  const samples: number[] = []
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; performance.now() - start < durationMs; i++) {
    const t0 = performance.now()
    const okay = verify(pool[i % pool.length])
    samples.push(performance.now() - t0)
    if (!okay) throw rejected(i % pool.length)
  }
  return summarise(samples, performance.now() - start, process.cpuUsage(cpu0))
}

async function measureAsync (durationMs: number, verify: (jwt: string) => Promise<boolean>, pool: readonly string[]): Promise<Run> {
  const samples: number[] = []
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; performance.now() - start < durationMs; i++) {
    const t0 = performance.now()
    const okay = await verify(pool[i % pool.length])
    samples.push(performance.now() - t0)
    if (!okay) throw rejected(i % pool.length)
  }
  return summarise(samples, performance.now() - start, process.cpuUsage(cpu0))
}

export async function runB1 (): Promise<BenchFigure[]> {
  const clock: Clock = { now: () => Date.UTC(2026, 0, 1) }
  // a few orgs so the key cache sees more than one issuer, as on a real node
  const orgs = [0, 1, 2, 3].map(i => new Ed25519Signer(seed(`org-${i}`)))
  const pool: string[] = []
  for (let i = 0; i < POOL; i++) {
    const agent = new Ed25519Signer(seed(`agent-${i}`))
    pool.push(await issueAgentCredential(orgs[i % orgs.length], { agentDid: agent.did, name: `agent-${i}`, ring: 2, capabilities: ['records/read', 'orders/create'] }, { clock, ttlSeconds: 3600 }))
  }
  const options: VerifyCredentialOptions = { clock, expectedIssuer: orgs.map(o => o.did), expectedType: 'AgentCredential' }
  // warm up JIT and the key cache
  for (const t of pool) verifyCredential(t, options)
  const native = measureSync(NATIVE_MS, t => verifyCredential(t, options).ok, pool)
  const didjwt = await measureAsync(DIDJWT_MS, async t => (await verifyCredentialDidJwt(t, options)).ok, pool)
  const ms = (x: number): string => `${x.toFixed(3)} ms`
  return [
    { id: 'B1', what: 'credential verification, native path, rate', value: `${fmtRate(native.rate)} per core`, target: '>= 5,000/s per core', met: native.rate >= 5000, note: `${native.n} verifications, ${fmtRate(native.wallRate)} wall clock, p50 ${ms(native.p50)}` },
    { id: 'B1', what: 'credential verification, native path, p99', value: ms(native.p99), target: '< 1 ms', met: native.p99 < 1 },
    { id: 'B1', what: 'credential verification, did-jwt path, rate', value: `${fmtRate(didjwt.rate)} per core`, target: 'comparison', note: `${didjwt.n} verifications, p50 ${ms(didjwt.p50)}, p99 ${ms(didjwt.p99)}, native is ${(native.rate / didjwt.rate).toFixed(1)}x` }
  ]
}
