/**
 * B13 (DESIGN 10): sagas of 3 steps across 3 orgs (acme coordinates; steps at acme, globex and
 * initech), one in ten failing at step 3 and compensated; three real node processes on loopback and
 * the example agents answering. Prints sagas/s at 16 in flight and p50 at 1 in flight beside the
 * target. "0 half-done after a coordinator SIGKILL" is the SIGKILL test of test/process/sagas.spec.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { createClient } from '../client/control-client.js'
import { issueDelegation, type Caveats } from '../identity/ucan/index.js'
import { loadAgentKeyFile } from '../identity/agent-key.js'
import { cli, connectedOrgs, initOrg, removeDir, startNode, stopAllNodes, tempDir, waitUntil } from '../test/helpers/node-process.js'
import { fmtRate, percentile, type BenchFigure } from './report.js'

const EXAMPLE_AGENT = fileURLToPath(new URL('../scripts/example-agent.js', import.meta.url))
const SAGAS = 200
const IN_FLIGHT = 16
const P50_SAMPLES = 20
const POLICY = `version: 1
name: b13
default: deny
rings:
  orders/create: 2
  orders/cancel: 2
rules:
  - id: orders
    effect: allow
    match:
      ability: [orders/create, orders/cancel]
      callerOrg: [self, partner]
`

async function json<T> (dir: string, args: string[]): Promise<T> {
  const r = await cli(dir, ['--json', ...args], { timeoutMs: 60_000 })
  if (r.code !== 0) throw new Error(`trustmesh ${args.join(' ')}: ${r.stderr}`)
  return r.json<T>()
}

export async function runB13 (): Promise<BenchFigure[]> {
  const root = tempDir('b13')
  const agents: ChildProcess[] = []
  try {
    const names = ['acme', 'globex', 'initech']
    const first = await initOrg(`${root}/acme`, 'acme')
    void first
    await Promise.all(names.slice(1).map(async n => await initOrg(`${root}/${n}`, n, { swarmKeyFrom: `${root}/acme` })))
    for (const n of names) writeFileSync(`${root}/${n}/policy.yaml`, POLICY)
    const nodes = await Promise.all(names.map(async n => await startNode(`${root}/${n}`)))
    await Promise.all(nodes.flatMap(n => nodes.filter(o => o !== n).map(async o => await json(n.dir, ['peer', 'add', o.orgDid, '--addr', o.addr, '--name', o.orgName, '--max-ring', '2']))))
    await waitUntil(async () => (await Promise.all(nodes.map(async n => (await connectedOrgs(n.dir)).length))).every(k => k === 2), 30_000, 'the three nodes to connect')
    const can = ['--can', 'orders/create', '--can', 'orders/cancel']
    const alice = await json<{ did: string }>(nodes[0].dir, ['agent', 'create', 'alice', '--ring', '2', ...can])
    const workers = await Promise.all(nodes.map(async (n, i) => await json<{ did: string }>(n.dir, ['agent', 'create', `w${i}`, '--ring', '2', ...can])))
    for (const [i, n] of nodes.entries()) {
      if (i > 0) await json(n.dir, ['delegation', 'grant', '--from', `w${i}`, '--to', alice.did, '--can', 'orders/create', '--with', `tm:${n.orgDid}/orders`, '--ttl', '2h'])
      const p = spawn(process.execPath, [EXAMPLE_AGENT, '--data-dir', n.dir, '--agent', `w${i}`, ...can, '--fail-on', 'fail'], { stdio: ['ignore', 'pipe', 'ignore'] })
      agents.push(p)
      let out = ''
      p.stdout?.setEncoding('utf8').on('data', (d: string) => { out = (out + d).slice(-200) })
      await waitUntil(() => out.includes('is serving'), 15_000, `agent w${i}`)
    }
    const client = createClient({ dataDir: nodes[0].dir, timeoutMs: 30_000 })
    const doc = (k: number): unknown => ({
      deadlineSeconds: 120, stepTimeoutSeconds: 20,
      steps: nodes.map((n, i) => ({
        id: `s${i + 1}`, to: workers[i].did, ability: 'orders/create', resource: `tm:${n.orgDid}/orders`, args: { ref: `b${k}-${i}`, ...(i === 2 && k % 10 === 9 ? { fail: true } : {}) },
        compensate: { ability: 'orders/cancel', args: { ref: '${output.args.ref}' } }
      }))
    })
    // alice holds her key: she signs her delegations to the coordinator (what the CLI's saga run does)
    const aliceKey = await loadAgentKeyFile(`${nodes[0].dir}/agents/alice.key`)
    const runOne = async (k: number): Promise<{ ms: number, state: string }> => {
      const t0 = performance.now()
      const plan = await client.request<{ grants: Array<{ step: string, audience: string, resource: string, ability: string, caveats: Caveats, proof: { jwt: string }, notBefore: number, expiration: number }> }>('POST', '/v1/sagas/plan', { as: 'alice', document: doc(k) })
      const delegations: Record<string, string> = {}
      for (const g of plan.grants) {
        delegations[g.step] = (await issueDelegation(aliceKey, { audience: g.audience, capabilities: { [g.resource]: { [g.ability]: g.caveats } }, notBefore: g.notBefore, expiration: g.expiration, nonce: randomBytes(8).toString('base64url'), proofs: [g.proof.jwt] })).jwt
      }
      let s = await client.request<{ id: string, state: string }>('POST', '/v1/sagas', { as: 'alice', document: doc(k), delegations })
      while (!['completed', 'compensated', 'stuck'].includes(s.state)) {
        await new Promise(resolve => setTimeout(resolve, 5))
        s = await client.request<{ id: string, state: string }>('GET', `/v1/sagas/${s.id}`)
      }
      return { ms: performance.now() - t0, state: s.state }
    }
    // p50 at one in flight, then throughput at IN_FLIGHT
    const single: number[] = []
    for (let k = 0; k < P50_SAMPLES; k++) single.push((await runOne(1000 + k * 10)).ms) // k*10: none fail
    let next = 0
    const states: Record<string, number> = {}
    const t0 = performance.now()
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < SAGAS) {
        const r = await runOne(next++)
        states[r.state] = (states[r.state] ?? 0) + 1
      }
    }))
    const rate = SAGAS / ((performance.now() - t0) / 1000)
    const halfDone = states.stuck ?? 0
    return [
      { id: 'B13', what: `sagas of 3 steps across 3 orgs, 1 in 10 failing at step 3 (${IN_FLIGHT} in flight)`, value: fmtRate(rate), target: '>= 100 sagas/s', met: rate >= 100, note: `completed ${states.completed ?? 0}, compensated ${states.compensated ?? 0}, stuck ${halfDone}` },
      { id: 'B13', what: 'saga of 3 steps, p50 at 1 in flight', value: `${percentile(single, 50).toFixed(1)} ms`, target: '-', note: 'for comparison' },
      { id: 'B13', what: 'half-done sagas after a coordinator SIGKILL', value: 'see test', target: '0', note: 'test/process/sagas.spec.ts kills the coordinator at >= 20 points' }
    ]
  } finally {
    for (const p of agents) p.kill('SIGKILL')
    await stopAllNodes()
    removeDir(root)
  }
}
