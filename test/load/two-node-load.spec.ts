/**
 * Load between two real node processes on loopback: a globex agent sends many concurrent tasks,
 * through its node's control API (`POST /v1/tasks`), to an acme agent answering in-process with
 * `createClient(...).onTask`, for a bounded time (5 s; 60 s with TRUSTMESH_LONG=1). Reports
 * throughput, p50/p99 latency and RSS; asserts zero lost (every sent task has an outcome and was
 * handled) and zero duplicated (each task id handled exactly once).
 */
import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import type { TaskLoop } from '../../client/agent-client.js'
import { agentOf, cli, connectedOrgs, initOrg, removeDir, startNode, stopAllNodes, tempDir, waitUntil, type NodeProcess } from '../helpers/node-process.js'

const LONG = process.env.TRUSTMESH_LONG === '1'
const DURATION_MS = LONG ? 60_000 : 5_000
const CONCURRENCY = Number(process.env.TRUSTMESH_LOAD_CONCURRENCY ?? (LONG ? 32 : 8))

/** The target's policy for this test: reads allowed to partners without a trust condition (no scores yet). */
const LOAD_POLICY = `version: 1
name: load-test
default: deny
rings:
  "*/read": 3
rules:
  - id: read-self
    effect: allow
    match: { ability: "*/read", callerOrg: self }
  - id: read-partners
    effect: allow
    match: { ability: "*/read", callerOrg: partner }
`

interface SendResult { id: string, outcome: string, code: string, reason?: string, output?: { n?: number } }

function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

function rssMiBOf (pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'))
    return m == null ? NaN : Number(m[1]) / 1024
  } catch {
    return NaN
  }
}

async function ok (dir: string, args: string[]): Promise<string> {
  const r = await cli(dir, args)
  if (r.code !== 0) throw new Error(`trustmesh ${args.join(' ')} failed (${String(r.code)}): ${r.stderr}`)
  return r.stdout
}

describe('load: concurrent tasks between two node processes', function () {
  this.timeout(DURATION_MS + 90_000)
  const dirs: string[] = []
  let loop: TaskLoop | undefined

  afterEach(async () => {
    await loop?.stop()
    loop = undefined
    await stopAllNodes()
    for (const d of dirs.splice(0)) removeDir(d)
  })

  it(`${CONCURRENCY} concurrent senders for ${DURATION_MS / 1000} s: no task lost or duplicated`, async () => {
    const acmeDir = tempDir('ld'); const globexDir = tempDir('ld')
    dirs.push(acmeDir, globexDir)
    await initOrg(acmeDir, 'acme')
    await initOrg(globexDir, 'globex', { swarmKeyFrom: acmeDir })
    writeFileSync(`${acmeDir}/policy.yaml`, LOAD_POLICY)
    const [acme, globex]: NodeProcess[] = await Promise.all([startNode(acmeDir), startNode(globexDir)])
    await Promise.all([
      ok(acmeDir, ['peer', 'add', globex.orgDid, '--addr', globex.addr, '--name', 'globex']),
      ok(globexDir, ['peer', 'add', acme.orgDid, '--addr', acme.addr, '--name', 'acme'])
    ])
    await waitUntil(async () => (await connectedOrgs(acmeDir)).includes(globex.orgDid) && (await connectedOrgs(globexDir)).includes(acme.orgDid), 20_000, 'the nodes to connect')
    const alice = JSON.parse(await ok(acmeDir, ['--json', 'agent', 'create', 'alice', '--ring', '2', '--can', 'records/read'])) as { did: string }
    const bob = JSON.parse(await ok(globexDir, ['--json', 'agent', 'create', 'bob', '--ring', '2', '--can', 'records/read'])) as { did: string }
    const resource = `tm:${acme.orgDid}/records`
    const cid = (await ok(acmeDir, ['delegation', 'grant', '--from', 'alice', '--to', bob.did, '--can', 'records/read', '--with', resource, '--ttl', '1h'])).split('\n')[0].trim()

    // the acme agent: counts every task id it handles
    const handled = new Map<string, number>()
    const acmeAgent = await agentOf(acmeDir, 'alice')
    loop = acmeAgent.serve('records/read', async (task) => {
      handled.set(task.id, (handled.get(task.id) ?? 0) + 1)
      return { n: (task.args as { n?: number } | undefined)?.n ?? -1 }
    }, { concurrency: CONCURRENCY, waitMs: 2_000 })

    const sender = await agentOf(globexDir, 'bob')
    const send = async (n: number): Promise<SendResult> => await sender.send({ to: alice.did, ability: 'records/read', resource: `${resource}/${n}`, args: { n }, proof: cid, timeoutMs: 30_000 }) as SendResult

    // one warm-up task so connection and caches are set up before the clock starts
    const warm = await send(0)
    expect(warm.outcome, `warm-up task: ${warm.code} ${warm.reason ?? ''}`).to.equal('ok')

    const results: Array<{ n: number, ms: number, r?: SendResult, error?: string }> = []
    let next = 1
    const rssStart = { acme: rssMiBOf(acme.proc.pid), globex: rssMiBOf(globex.proc.pid) }
    const t0 = Date.now()
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() - t0 < DURATION_MS) {
        const n = next++
        const s = performance.now()
        try {
          results.push({ n, ms: performance.now() - s, r: await send(n) })
        } catch (err) {
          results.push({ n, ms: performance.now() - s, error: (err as Error).message })
        }
        results[results.length - 1].ms = performance.now() - s
      }
    }))
    const elapsed = (Date.now() - t0) / 1000
    const rssEnd = { acme: rssMiBOf(acme.proc.pid), globex: rssMiBOf(globex.proc.pid) }
    const lat = results.map(x => x.ms).sort((a, b) => a - b)
    const okCount = results.filter(x => x.r?.outcome === 'ok').length
    process.stdout.write(`      load: ${results.length} tasks in ${elapsed.toFixed(1)} s = ${(results.length / elapsed).toFixed(1)} tasks/s, ` +
      `p50 ${percentile(lat, 0.5).toFixed(1)} ms, p99 ${percentile(lat, 0.99).toFixed(1)} ms, ok ${okCount}, ` +
      `RSS acme ${rssStart.acme.toFixed(0)}->${rssEnd.acme.toFixed(0)} MiB, globex ${rssStart.globex.toFixed(0)}->${rssEnd.globex.toFixed(0)} MiB, test ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB\n`)

    // zero lost: every request answered, with outcome ok, and its id handled by the agent
    const failures = results.filter(x => x.r?.outcome !== 'ok')
    expect(failures.slice(0, 3).map(f => f.error ?? `${f.r?.outcome} ${f.r?.code} ${f.r?.reason ?? ''}`), 'every task answered ok').to.deep.equal([])
    expect(results.length, 'some load was generated').to.be.greaterThan(CONCURRENCY)
    for (const x of results) {
      expect(x.r?.output?.n, `task ${x.n} got its own answer`).to.equal(x.n)
      expect(handled.get(x.r?.id ?? ''), `task ${x.r?.id ?? '?'} handled exactly once`).to.equal(1)
    }
    // zero duplicated: the agent saw no id twice and nothing it was not sent
    expect([...handled.values()].filter(c => c !== 1), 'no task id handled twice').to.deep.equal([])
    expect(handled.size, 'the agent handled exactly the tasks sent (plus the warm-up)').to.equal(results.length + 1)
    expect(new Set(results.map(x => x.r?.id)).size, 'task ids are unique').to.equal(results.length)
  })
})
