/**
 * The audit log under SIGKILL (DESIGN.md sections 8 and 11): a child process appends with many
 * appends in flight (group commit) and acknowledges each on stdout once its append resolved; the
 * parent kills it at a seeded random moment, reopens the log and checks that every acknowledged entry
 * is there at its index, that the stored entries and subtree hashes form the tree the stored state
 * claims (root, inclusion and consistency proofs), and that appending goes on from there. All kill
 * points share one data directory, so recovery after a crash is itself crashed again. 6 kill points
 * by default, 200 with TRUSTMESH_LONG=1.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { AuditLog, type AuditStore } from '../../audit/audit-log.js'
import { decodeEntry } from '../../audit/entry.js'
import { hashLeaf, rootHash, verifyConsistency, verifyInclusion } from '../../audit/merkle.js'
import { openStore } from '../../node/store/open-store.js'
import { SUBLEVELS } from '../../node/store/sublevels.js'
import { fakeClock } from '../helpers/clock.js'
import { makeTempDir, removeDir } from '../node/store/temp-dir.js'

const WRITER = fileURLToPath(new URL('./audit-crash-writer.js', import.meta.url))
const KILL_POINTS = process.env.TRUSTMESH_LONG === '1' ? 200 : 6
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

/** Runs the writer until it has acked `killAfter` appends, waits `delayMs`, SIGKILLs it; returns n -> index of every ack. */
async function crashRound (dir: string, inFlight: number, killAfter: number, delayMs: number): Promise<Map<number, number>> {
  const child = spawn(process.execPath, [WRITER, dir, String(inFlight)], { stdio: ['ignore', 'pipe', 'pipe'] })
  const acked = new Map<number, number>()
  let out = ''
  let err = ''
  let killScheduled = false
  return await new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`writer did not reach ${killAfter} acks within ${ROUND_DEADLINE_MS} ms; stderr: ${err}`))
    }, ROUND_DEADLINE_MS)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const lines = out.split('\n')
      out = lines.pop() as string
      for (const line of lines) {
        const m = /^ack (\d+) (\d+)$/.exec(line)
        if (m != null) acked.set(Number(m[1]), Number(m[2]))
      }
      if (!killScheduled && acked.size >= killAfter) {
        killScheduled = true
        // the kill moment is the random variable under test, not a synchronisation wait
        if (delayMs === 0) child.kill('SIGKILL')
        else setTimeout(() => { child.kill('SIGKILL') }, delayMs)
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

/** Problems in the reopened log: lost acks, entries at the wrong index, a tree that does not match its state. */
async function checkLog (log: AuditLog, acked: ReadonlyMap<number, number>, previousSize: number): Promise<string[]> {
  const problems: string[] = []
  const size = log.size()
  if (size < previousSize) problems.push(`log shrank from ${previousSize} to ${size}`)
  const raw = await log.rawEntries()
  if (raw.length !== size) problems.push(`state says ${size} entries, ${raw.length} stored`)
  const subjects = new Map<string, number>()
  raw.forEach((b, i) => {
    const e = decodeEntry(b)
    if (!e.ok) { problems.push(`entry ${i} does not decode: ${e.error.message}`); return }
    if (e.value.seq !== i) problems.push(`entry ${i} has seq ${e.value.seq}`)
    if (subjects.has(e.value.subject)) problems.push(`${e.value.subject} stored twice`)
    subjects.set(e.value.subject, i)
  })
  for (const [n, index] of acked) {
    if (subjects.get(`crash/${n}`) !== index) problems.push(`acknowledged append ${n} (index ${index}) is ${subjects.has(`crash/${n}`) ? `at ${String(subjects.get(`crash/${n}`))}` : 'missing'}`)
  }
  const leaves = raw.map(b => hashLeaf(b))
  const root = rootHash(leaves)
  if (Buffer.compare(root, log.root()) !== 0) problems.push('root of the stored entries differs from the stored state')
  if (size > 0) {
    for (const i of new Set([0, size - 1, Math.floor(size / 2)])) {
      if (!verifyInclusion(leaves[i], i, size, await log.inclusionProof(i, size), root)) problems.push(`inclusion proof of ${i} in ${size} fails`)
    }
    if (previousSize > 0 && previousSize <= size && !verifyConsistency(previousSize, size, await log.rootAt(previousSize), root, await log.consistencyProof(previousSize, size))) {
      problems.push(`consistency proof ${previousSize} -> ${size} fails`)
    }
  }
  return problems
}

describe('audit log: SIGKILL during group commits', function () {
  this.timeout(KILL_POINTS * ROUND_DEADLINE_MS + 10_000)
  let dir: string

  beforeEach(async () => { dir = await makeTempDir('audit-crash') })
  afterEach(async () => { await removeDir(dir) })

  it(`${KILL_POINTS} kill points: every acknowledged entry kept at its index, the tree matches its state`, async () => {
    const rng = mulberry32(0xa0d17)
    const acked = new Map<number, number>()
    let previousSize = 0
    for (let round = 0; round < KILL_POINTS; round++) {
      const inFlight = [1, 4, 16, 64][round % 4]
      const killAfter = 1 + Math.floor(rng() * 40)
      const delayMs = Math.floor(rng() * 4)
      for (const [n, i] of await crashRound(dir, inFlight, killAfter, delayMs)) acked.set(n, i)
      const store = await openStore(dir)
      try {
        const log = await AuditLog.open({ store: store.sublevel(SUBLEVELS.auditEntries) as unknown as AuditStore, clock: fakeClock() })
        expect(await checkLog(log, acked, previousSize), `kill point ${round} (${inFlight} in flight, after ${killAfter} acks + ${delayMs} ms)`).to.deep.equal([])
        previousSize = log.size()
      } finally {
        await store.close()
      }
    }
    expect(acked.size).to.be.at.least(KILL_POINTS)
  })

  it('concurrent appends share synced batches and keep their order', async () => {
    const store = await openStore(dir)
    try {
      const log = await AuditLog.open({ store: store.sublevel(SUBLEVELS.auditEntries) as unknown as AuditStore, clock: fakeClock() })
      const rs = await Promise.all(Array.from({ length: 100 }, async (_, n) => await log.append({ kind: 'task.allow', subject: `s/${n}` })))
      expect(rs.map(r => r.index)).to.deep.equal(Array.from({ length: 100 }, (_, n) => n))
      expect(rs.map(r => r.entry.subject)).to.deep.equal(Array.from({ length: 100 }, (_, n) => `s/${n}`))
      expect(log.commits(), 'group commits').to.be.lessThan(10)
    } finally {
      await store.close()
    }
  })
})
