/**
 * Child-process helper for the crash test: writes batches forever into the store in argv[2]. Batch
 * `id` puts `argv[3]` records in `tasks` (`<id>/<j>`), one in `receipts` and one in `audit-entries`,
 * all carrying the same id, in one synced batch; after `write()` resolves it prints `ack <id>`.
 * Ids continue after the highest id already stored. The parent SIGKILLs it at a random moment.
 */
import { openStore } from '../../../node/store/open-store.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'

function batchKey (id: number): string {
  return String(id).padStart(10, '0')
}

const dir = process.argv[2]
const perBatch = Number(process.argv[3] ?? '20')
const store = await openStore(dir)
const receipts = store.repository<{ id: number, n: number }>(SUBLEVELS.receipts)
const last = await receipts.list({ reverse: true, limit: 1 })
let id = last.length === 0 ? 0 : last[0][1].id
process.stdout.write('ready\n')
const filler = 'x'.repeat(200)
for (;;) {
  id++
  const b = store.batch()
  for (let j = 0; j < perBatch; j++) b.put(SUBLEVELS.tasks, `${batchKey(id)}/${String(j).padStart(4, '0')}`, { id, j, filler })
  b.put(SUBLEVELS.receipts, batchKey(id), { id, n: perBatch })
  b.put(SUBLEVELS.auditEntries, batchKey(id), { id })
  await b.write()
  process.stdout.write(`ack ${id}\n`)
}
