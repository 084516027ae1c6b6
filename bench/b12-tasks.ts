/**
 * B12 (DESIGN.md section 10): cross-org tasks between two real node processes, every check on and
 * the audit log durable, the executing agent answering through its node's local API. Prints tasks/s
 * at 1, 8 and 32 in flight with p50/p99, and beside them the bare request/response rate on the same
 * libp2p connection, measured in the same run by the node itself (`POST /v1/peers/:did/echo`).
 * Every phase also checks that no task was lost or handled twice.
 *
 * The agent side is `AGENT_API` below, two small functions (serve, send): both agents are SDK agents
 * (`createAgent`, client/agent.ts) with their own keys on their node's agent API (`agent.sock`), every
 * request signed by the agent (identity/agent-proof.ts), every invocation signed by the invoking agent.
 *
 * TRUSTMESH_BENCH_PROFILE=<dir> runs both nodes with `--cpu-prof` into <dir> (stopped with SIGTERM so
 * the profiles are written). TRUSTMESH_BENCH_SECONDS sets each phase's length (default 4).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { createClient } from '../client/control-client.js'
import { agentOf, cli, connectedOrgs, initOrg, removeDir, startNode, stopAllNodes, tempDir, waitUntil, type NodeProcess } from '../test/helpers/node-process.js'
import { fmtRate, percentile, type BenchFigure } from './report.js'
import { MAX_POLLS_PER_AGENT } from '../node/services/tasks/task-dispatcher.js'

const PHASE_MS = Number(process.env.TRUSTMESH_BENCH_SECONDS ?? 4) * 1000
const PROFILE_DIR = process.env.TRUSTMESH_BENCH_PROFILE
const LEVELS = [1, 8, 32] as const
/** TRUSTMESH_BENCH_TASKS_ONLY=1 (for profiles): tasks at 32 in flight only, no echo baseline, no figures. */
const TASKS_ONLY = process.env.TRUSTMESH_BENCH_TASKS_ONLY === '1'

const POLICY = `version: 1
name: b12
default: deny
rings:
  "*/read": 3
rules:
  - id: read-partners
    effect: allow
    match: { ability: "*/read", callerOrg: partner }
`

interface SendResult { id: string, outcome: string, code: string, reason?: string, output?: { n?: number } }
interface Served { stop: () => Promise<void> }
type Handler = (task: { id: string, args?: unknown }) => Promise<unknown>

/** The agent side, in one place: how the executing agent serves and how the invoking agent sends. */
const AGENT_API = {
  async serve (dataDir: string, name: string, ability: string, handler: Handler, concurrency: number): Promise<Served> {
    const loop = (await agentOf(dataDir, name)).serve(ability, handler, { concurrency, waitMs: 2_000 })
    return { stop: async () => { await loop.stop() } }
  },
  async sender (dataDir: string, name: string, to: string, ability: string, resource: string, proof: string): Promise<(n: number) => Promise<SendResult>> {
    const agent = await agentOf(dataDir, name)
    return async (n) => await agent.send({ to, ability, resource: `${resource}/${n}`, args: { n }, proof, timeoutMs: 30_000 }) as SendResult
  }
}

async function ok (dir: string, args: string[]): Promise<string> {
  const r = await cli(dir, args)
  if (r.code !== 0) throw new Error(`trustmesh ${args.join(' ')} failed (${String(r.code)}): ${r.stderr}`)
  return r.stdout
}

interface Phase { inFlight: number, tasks: number, rate: number, p50: number, p99: number, cpu: { acme: number, globex: number, agents: number } }

/** CPU time (user + system, ms) a process has used so far: robust where wall time is noisy. */
function cpuMsOf (pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${String(pid)}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) * 10 // clock ticks of 10 ms
  } catch {
    return NaN
  }
}
function selfCpuMs (): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

export async function runB12 (): Promise<BenchFigure[]> {
  const acmeDir = tempDir('b12'); const globexDir = tempDir('b12')
  // --cpu-prof is refused in NODE_OPTIONS: a shell that execs node with it ($0 is node's path)
  const prof = PROFILE_DIR != null ? { wrap: ['sh', '-c', `exec "$0" --cpu-prof --cpu-prof-dir=${PROFILE_DIR} "$@"`] } : {}
  const nodes: NodeProcess[] = []
  let served: Served | undefined
  try {
    await initOrg(acmeDir, 'acme')
    await initOrg(globexDir, 'globex', { swarmKeyFrom: acmeDir })
    writeFileSync(`${acmeDir}/policy.yaml`, POLICY)
    const [acme, globex] = await Promise.all([startNode(acmeDir, { ...prof, extraArgs: ['--log-level', 'warn'] }), startNode(globexDir, { ...prof, extraArgs: ['--log-level', 'warn'] })])
    nodes.push(acme, globex)
    await Promise.all([
      ok(acmeDir, ['peer', 'add', globex.orgDid, '--addr', globex.addr, '--name', 'globex']),
      ok(globexDir, ['peer', 'add', acme.orgDid, '--addr', acme.addr, '--name', 'acme'])
    ])
    await waitUntil(async () => (await connectedOrgs(acmeDir)).includes(globex.orgDid) && (await connectedOrgs(globexDir)).includes(acme.orgDid), 20_000, 'the nodes to connect')
    const alice = JSON.parse(await ok(acmeDir, ['--json', 'agent', 'create', 'alice', '--ring', '2', '--can', 'records/read'])) as { did: string }
    const bob = JSON.parse(await ok(globexDir, ['--json', 'agent', 'create', 'bob', '--ring', '2', '--can', 'records/read'])) as { did: string }
    const resource = `tm:${acme.orgDid}/records`
    const cid = (await ok(acmeDir, ['delegation', 'grant', '--from', 'alice', '--to', bob.did, '--can', 'records/read', '--with', resource, '--ttl', '1h'])).split('\n')[0].trim()

    const handled = new Map<string, number>()
    served = await AGENT_API.serve(acmeDir, 'alice', 'records/read', async (task) => {
      handled.set(task.id, (handled.get(task.id) ?? 0) + 1)
      return { n: (task.args as { n?: number } | undefined)?.n ?? -1 }
    }, MAX_POLLS_PER_AGENT) // more open polls than the node allows per agent are refused (429) and back off
    const send = await AGENT_API.sender(globexDir, 'bob', alice.did, 'records/read', resource, cid)
    let next = 0
    for (let i = 0; i < 50; i++) { // warm-up: connection, caches, JIT
      const r = await send(next++)
      if (r.outcome !== 'ok') throw new Error(`B12 warm-up task: ${r.code} ${r.reason ?? ''}`)
    }

    const phases: Phase[] = []
    for (const inFlight of TASKS_ONLY ? [32] : LEVELS) {
      const lat: number[] = []
      const results: Array<{ n: number, r: SendResult }> = []
      const cpu0 = { acme: cpuMsOf(acme.proc.pid), globex: cpuMsOf(globex.proc.pid), agents: selfCpuMs() }
      const t0 = performance.now()
      await Promise.all(Array.from({ length: inFlight }, async () => {
        while (performance.now() - t0 < PHASE_MS) {
          const n = next++
          const s = performance.now()
          const r = await send(n)
          lat.push(performance.now() - s)
          results.push({ n, r })
        }
      }))
      const elapsed = (performance.now() - t0) / 1000
      const bad = results.filter(x => x.r.outcome !== 'ok' || x.r.output?.n !== x.n || handled.get(x.r.id) !== 1)
      if (bad.length > 0) throw new Error(`B12 at ${inFlight} in flight: ${bad.length} tasks lost, failed or duplicated (first: ${bad[0].r.code} ${bad[0].r.reason ?? ''})`)
      const per = (ms: number): number => ms / results.length
      const cpu = { acme: per(cpuMsOf(acme.proc.pid) - cpu0.acme), globex: per(cpuMsOf(globex.proc.pid) - cpu0.globex), agents: per(selfCpuMs() - cpu0.agents) }
      phases.push({ inFlight, tasks: results.length, rate: results.length / elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99), cpu })
    }
    if ([...handled.values()].some(c => c !== 1) || handled.size !== next) throw new Error(`B12: the agent handled ${handled.size} distinct tasks of ${next} sent, or some twice`)

    if (TASKS_ONLY) return [{ id: 'B12', what: 'tasks only (profile run)', value: fmtRate(phases[0].rate), target: 'info', note: `CPU ms/task: executing node ${phases[0].cpu.acme.toFixed(2)}, sending node ${phases[0].cpu.globex.toFixed(2)}` }]
    // the baseline in the same run: bare echo on the same connection, 32 in flight and 1 in flight
    const echo = async (concurrency: number, count: number): Promise<{ rate: number, p50: number, p99: number }> =>
      await createClient({ dataDir: globexDir, timeoutMs: 120_000 }).request('POST', `/v1/peers/${encodeURIComponent(acme.orgDid)}/echo`, { count, concurrency })
    await echo(8, 500)
    const ecpu0 = { acme: cpuMsOf(acme.proc.pid), globex: cpuMsOf(globex.proc.pid) }
    const bare32 = await echo(32, Math.max(2000, Math.round(phases[2].rate * 2)))
    const echoCount = Math.max(2000, Math.round(phases[2].rate * 2))
    const echoCpu = { acme: (cpuMsOf(acme.proc.pid) - ecpu0.acme) / echoCount, globex: (cpuMsOf(globex.proc.pid) - ecpu0.globex) / echoCount }
    const bare1 = await echo(1, 500)

    const [p1, p8, p32] = phases
    const share = p32.rate / bare32.rate
    const fig = (p: Phase, target: string, met?: boolean, note = ''): BenchFigure => ({
      id: 'B12', what: `tasks across 2 node processes, ${p.inFlight} in flight`, value: `${fmtRate(p.rate)}`, target, ...(met != null ? { met } : {}),
      note: `p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, n=${p.tasks}, none lost or duplicated; CPU ms/task: executing node ${p.cpu.acme.toFixed(2)}, sending node ${p.cpu.globex.toFixed(2)}, both agents ${p.cpu.agents.toFixed(2)}${note}`
    })
    return [
      fig(p1, 'p50 <= 5 ms', p1.p50 <= 5),
      fig(p8, 'info'),
      fig(p32, '>= 1,000/s', p32.rate >= 1000),
      { id: 'B12', what: 'bare echo on the same connection, 32 in flight', value: fmtRate(bare32.rate), target: 'baseline', note: `p50 ${bare32.p50.toFixed(2)} ms; 1 in flight ${fmtRate(bare1.rate)}, p50 ${bare1.p50.toFixed(2)} ms` },
      { id: 'B12', what: 'tasks at 32 in flight / bare echo at 32', value: `${(100 * share).toFixed(0)}%`, target: '>= 25%', met: share >= 0.25, note: `${fmtRate(p32.rate)} / ${fmtRate(bare32.rate)}, same run` },
      { id: 'B12', what: 'CPU per task / CPU per bare echo, at 32 in flight', value: `${(p32.cpu.acme / echoCpu.acme).toFixed(1)}x / ${(p32.cpu.globex / echoCpu.globex).toFixed(1)}x`, target: 'info', note: `executing node ${p32.cpu.acme.toFixed(2)} / ${echoCpu.acme.toFixed(2)} ms, sending node ${p32.cpu.globex.toFixed(2)} / ${echoCpu.globex.toFixed(2)} ms (CPU time: less sensitive to load than wall time)` }
    ]
  } finally {
    await served?.stop().catch(() => undefined)
    // SIGTERM so a profiled node writes its profile
    await Promise.all(nodes.map(async n => await n.stop('SIGTERM', 15_000)))
    await stopAllNodes()
    removeDir(acmeDir); removeDir(globexDir)
  }
}
