/** `trustmesh audit show`: the node's audit entries (decisions in the order they took effect). */
import type { Command } from 'commander'
import { contextOf, parseDuration } from '../../context.js'
import { UsageError } from '../../output.js'
import { call } from '../../node-client.js'
import type { AuditEntry } from '../../../audit/index.js'

interface Page { origin: string, size: number, entries: AuditEntry[] }

const short = (s: string): string => s.length > 30 ? `${s.slice(0, 16)}…${s.slice(-8)}` : s

/** `--since`: an entry number (42), a duration back from now (15m, 2h) or a date (2025-01-31T10:00Z). */
export function sinceQuery (since: string | undefined, now: number): string {
  if (since == null) return ''
  if (/^\d+$/.test(since)) return `since=${since}`
  let t: number
  if (/^\d+[smhd]$/.test(since)) t = now - parseDuration(since) * 1000
  else t = Date.parse(since)
  if (!Number.isFinite(t)) throw new UsageError(`--since ${JSON.stringify(since)} is neither an entry number, a duration (15m) nor a date`)
  return `sinceTime=${Math.max(0, Math.floor(t))}`
}

export function register (audit: Command): void {
  audit.command('show')
    .description('show audit entries: every decision, in the order it took effect')
    .option('--since <n|duration|date>', 'from entry n, or entries newer than a duration (15m) or a date')
    .option('--limit <n>', 'at most n entries', '1000')
    .action(async (opts: { since?: string, limit: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      if (!/^\d{1,5}$/.test(opts.limit)) throw new UsageError('--limit must be an integer up to 99999')
      const q = [sinceQuery(opts.since, Date.now()), `limit=${opts.limit}`].filter(x => x !== '').join('&')
      const page = await call<Page>(dataDir, 'GET', `/v1/audit/entries?${q}`)
      out.result(page, () => page.entries.length === 0
        ? `no audit entries (log size ${page.size})`
        : out.table(['seq', 'time', 'kind', 'subject', 'reason'], page.entries.map(e => [e.seq, new Date(e.time).toISOString(), e.kind, short(e.subject), e.reason])))
    })
}
