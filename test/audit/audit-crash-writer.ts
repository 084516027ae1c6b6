/**
 * Child-process helper for the audit crash test: opens the node store in argv[2] and appends to its
 * audit log forever, `argv[3]` appends in flight at once (so they share group commits). Append number
 * `k` (counting on from the entries already stored) has subject `crash/<k>`; when its append resolves
 * it prints `ack <k> <index>`. The parent SIGKILLs it at a random moment.
 */
import { AuditLog, type AuditStore } from '../../audit/audit-log.js'
import { openStore } from '../../node/store/open-store.js'
import { SUBLEVELS } from '../../node/store/sublevels.js'
import { systemClock } from '../../identity/clock.js'

const store = await openStore(process.argv[2])
const inFlight = Number(process.argv[3] ?? '8')
const log = await AuditLog.open({ store: store.sublevel(SUBLEVELS.auditEntries) as unknown as AuditStore, clock: systemClock })
let k = log.size()
process.stdout.write('ready\n')
await Promise.all(Array.from({ length: inFlight }, async () => {
  for (;;) {
    const n = k++
    const r = await log.append({ kind: 'task.allow', subject: `crash/${n}`, details: { n, filler: 'x'.repeat(n % 300) } })
    process.stdout.write(`ack ${n} ${r.index}\n`)
  }
}))
