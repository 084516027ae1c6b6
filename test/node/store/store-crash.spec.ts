/**
 * Crash in the middle of writes (DESIGN.md section 11): a child process writes synced batches that
 * span three sublevels and acknowledges each one on stdout; the parent SIGKILLs it at a seeded random
 * moment, reopens the store and checks that every batch is all or nothing and that no acknowledged
 * batch is lost. 5 rounds by default, 50 with TRUSTMESH_LONG=1; all rounds share one data directory,
 * so recovery after a crash is itself crashed again.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { openStore } from '../../../node/store/open-store.js'
import type { Store } from '../../../node/store/open-store.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { makeTempDir, removeDir } from './temp-dir.js'

const WRITER = fileURLToPath(new URL('./crash-writer.js', import.meta.url))
const ROUNDS = process.env.TRUSTMESH_LONG === '1' ? 50 : 5
const PER_BATCH = 20
const ROUND_DEADLINE_MS = 15_000

function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Runs the writer until it has acked `killAfter` batches, waits `delayMs`, SIGKILLs it; returns all acks seen. */
async function crashRound (dir: string, killAfter: number, delayMs: number): Promise<number[]> {
  const child = spawn(process.execPath, [WRITER, dir, String(PER_BATCH)], { stdio: ['ignore', 'pipe', 'pipe'] })
  const acked: number[] = []
  let out = ''
  let err = ''
  let killScheduled = false
  return await new Promise<number[]>((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`writer did not reach ${killAfter} acks within ${ROUND_DEADLINE_MS} ms; stderr: ${err}`))
    }, ROUND_DEADLINE_MS)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const lines = out.split('\n')
      out = lines.pop() as string
      for (const line of lines) {
        if (line.startsWith('ack ')) acked.push(Number(line.slice(4)))
      }
      if (!killScheduled && acked.length >= killAfter) {
        killScheduled = true
        // The kill moment is the random variable under test, not a synchronisation wait.
        setTimeout(() => { child.kill('SIGKILL') }, delayMs)
      }
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk })
    child.on('close', (_code, signal) => {
      clearTimeout(deadline)
      if (signal === 'SIGKILL' && killScheduled) resolve(acked)
      else reject(new Error(`writer exited unexpectedly (signal ${String(signal)}); stderr: ${err}`))
    })
  })
}

/** Problems found in the store: torn batches, lost acknowledged batches, gaps. Empty when sound. */
async function checkBatches (store: Store, perBatch: number, acked: ReadonlySet<number>): Promise<string[]> {
  const problems: string[] = []
  const taskCount = new Map<number, number>()
  for await (const t of store.repository<{ id: number }>(SUBLEVELS.tasks).values()) taskCount.set(t.id, (taskCount.get(t.id) ?? 0) + 1)
  const receipts = new Set<number>()
  for await (const r of store.repository<{ id: number }>(SUBLEVELS.receipts).values()) receipts.add(r.id)
  const audits = new Set<number>()
  for await (const a of store.repository<{ id: number }>(SUBLEVELS.auditEntries).values()) audits.add(a.id)
  const ids = new Set<number>([...taskCount.keys(), ...receipts, ...audits])
  for (const id of ids) {
    const parts = `tasks=${taskCount.get(id) ?? 0}/${perBatch} receipt=${receipts.has(id)} audit=${audits.has(id)}`
    if ((taskCount.get(id) ?? 0) !== perBatch || !receipts.has(id) || !audits.has(id)) problems.push(`batch ${id} is torn: ${parts}`)
  }
  for (const id of acked) if (!ids.has(id)) problems.push(`acknowledged batch ${id} is missing`)
  const max = Math.max(0, ...ids)
  for (let id = 1; id <= max; id++) if (!ids.has(id)) problems.push(`batch ${id} is missing below ${max}`)
  const maxAcked = Math.max(0, ...acked)
  if (max > maxAcked + 1) problems.push(`batch ${max} present but only up to ${maxAcked} acknowledged (at most one in flight)`)
  return problems
}

describe('store: crash in the middle of writes', function () {
  this.timeout(ROUNDS * ROUND_DEADLINE_MS + 10_000)
  let dir: string

  beforeEach(async () => { dir = await makeTempDir('crash') })
  afterEach(async () => { await removeDir(dir) })

  it(`SIGKILL at a random moment, ${ROUNDS} rounds: every batch all or nothing, every acked batch kept`, async () => {
    const rng = mulberry32(0x7157)
    const acked = new Set<number>()
    for (let round = 0; round < ROUNDS; round++) {
      const killAfter = 1 + Math.floor(rng() * 30)
      const delayMs = Math.floor(rng() * 6)
      const seen = await crashRound(dir, killAfter, delayMs)
      expect(seen.length, `round ${round} acks`).to.be.at.least(killAfter)
      for (const id of seen) acked.add(id)
      const store = await openStore(dir)
      try {
        expect(await checkBatches(store, PER_BATCH, acked), `round ${round} (kill after ${killAfter} acks + ${delayMs} ms)`).to.deep.equal([])
      } finally {
        await store.close()
      }
    }
    expect(acked.size).to.be.at.least(ROUNDS)
  })

  it('the checker itself detects a torn batch, a lost ack and a gap', async () => {
    const store = await openStore(dir)
    try {
      const b = store.batch()
      for (let j = 0; j < PER_BATCH; j++) b.put(SUBLEVELS.tasks, `0000000001/${j}`, { id: 1, j })
      b.put(SUBLEVELS.receipts, '0000000001', { id: 1 }).put(SUBLEVELS.auditEntries, '0000000001', { id: 1 })
      await b.write()
      expect(await checkBatches(store, PER_BATCH, new Set([1]))).to.deep.equal([])
      await store.repository(SUBLEVELS.tasks).put('0000000003/0', { id: 3, j: 0 })
      const problems = await checkBatches(store, PER_BATCH, new Set([1, 2]))
      expect(problems.join('\n')).to.include('batch 3 is torn').and.include('acknowledged batch 2 is missing').and.include('batch 2 is missing below 3')
    } finally {
      await store.close()
    }
  })
})
