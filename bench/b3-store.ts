/**
 * B3 (DESIGN.md section 10): the store. Batched synced writes (batches of 1,000 records, each batch
 * one `StoreBatch.write()` with `sync: true`) and random reads over 100,000 records through the typed
 * repository (JSON decode included). Reads are measured two ways: single `get`s with 64 in flight
 * (concurrent promises on one event loop; classic-level serves them on libuv's thread pool), and
 * `getMany` of 100 keys. Uses a temporary data directory, removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore } from '../node/store/open-store.js'
import { SUBLEVELS } from '../node/store/sublevels.js'
import type { BenchFigure } from './report.js'
import { fmtRate, percentile } from './report.js'

const RECORDS = 100_000
const BATCH = 1_000
const READ_SECONDS = 2
const CONCURRENCY = 64
const MANY = 100

interface Rec { id: number, org: string, ring: number, score: number, note: string }

function key (i: number): string {
  return `rec/${String(i).padStart(8, '0')}`
}

/** Deterministic key choice (xorshift32, fixed seed) so runs are comparable. */
function rng (seed: number): () => number {
  let x = seed >>> 0
  return () => {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    return x
  }
}

export async function runB3 (): Promise<BenchFigure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'trustmesh-b3-'))
  const store = await openStore(dir)
  try {
    const repo = store.repository<Rec>(SUBLEVELS.tasks)
    const batchMs: number[] = []
    const writeStart = performance.now()
    for (let b = 0; b < RECORDS / BATCH; b++) {
      const batch = store.batch()
      for (let j = 0; j < BATCH; j++) {
        const id = b * BATCH + j
        batch.put(SUBLEVELS.tasks, key(id), { id, org: 'did:key:z6MkacmeOrgRootKeyForBenchmarkPurposesOnly', ring: 2, score: id % 1000, note: 'b3' })
      }
      const t = performance.now()
      await batch.write()
      batchMs.push(performance.now() - t)
    }
    const writeRate = RECORDS / ((performance.now() - writeStart) / 1000)

    const next = rng(0xb3b3)
    let reads = 0
    const readEnd = performance.now() + READ_SECONDS * 1000
    const readStart = performance.now()
    const worker = async (): Promise<void> => {
      while (performance.now() < readEnd) {
        for (let i = 0; i < 64; i++) {
          const v = await repo.get(key(next() % RECORDS))
          if (v === undefined) throw new Error('B3: a written record is missing')
          reads++
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    const getRate = reads / ((performance.now() - readStart) / 1000)

    let manyReads = 0
    const manyEnd = performance.now() + READ_SECONDS * 1000
    const manyStart = performance.now()
    const manyWorker = async (): Promise<void> => {
      while (performance.now() < manyEnd) {
        const keys = Array.from({ length: MANY }, () => key(next() % RECORDS))
        const vs = await repo.getMany(keys)
        if (vs.some(v => v === undefined)) throw new Error('B3: a written record is missing')
        manyReads += vs.length
      }
    }
    await Promise.all(Array.from({ length: 4 }, manyWorker))
    const manyRate = manyReads / ((performance.now() - manyStart) / 1000)

    return [
      { id: 'B3', what: `store: batched synced writes (${BATCH}/batch, sync)`, value: `${Math.round(writeRate).toLocaleString('en-US')} records/s`, target: '>= 50,000 records/s', met: writeRate >= 50_000, note: `batch p50 ${percentile(batchMs, 50).toFixed(1)} ms, p99 ${percentile(batchMs, 99).toFixed(1)} ms` },
      { id: 'B3', what: `store: random reads, get x${CONCURRENCY} in flight`, value: fmtRate(getRate), target: '>= 100,000/s', met: getRate >= 100_000, note: `${RECORDS.toLocaleString('en-US')} records, JSON decode included` },
      { id: 'B3', what: `store: random reads, getMany(${MANY}) x4 in flight`, value: fmtRate(manyRate), target: '>= 100,000/s', met: manyRate >= 100_000 }
    ]
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
}
