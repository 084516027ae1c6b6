/** `trustmesh trust show <did>`: score, tier, this node's evidence, and the attestations that moved it. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'
import { fields, type Output } from '../../output.js'
import { short, type OpinionView } from './format.js'

interface EvidenceView { receiptCid: string, subjectAgent: string, outcome: string, policyViolation?: boolean, at: number }
export interface ShowView {
  did: string
  known: boolean
  self?: boolean
  kind?: string
  org?: string
  name?: string
  orgName?: string
  score: number | null
  tier: string | null
  uncapped?: number
  local?: { score: number, tier: string, evidence: number, counts: Record<string, number> }
  standing?: { trust: number, score: number, preTrusted: boolean }
  opinions: OpinionView[]
  evidence: EvidenceView[]
  note?: string
}

export function showHuman (v: ShowView, out: Pick<Output, 'table'>): string {
  const head = fields([
    ['subject', `${v.did}${v.name != null ? ` (${v.name})` : ''}`],
    ['kind', v.kind ?? (v.known ? undefined : 'unknown')],
    ...(v.org != null && v.org !== v.did ? [['org', `${v.org}${v.orgName != null ? ` (${v.orgName})` : ''}`] as [string, unknown]] : []),
    ['score', v.score == null ? 'unknown (no score: minTrust refuses it)' : `${v.score} (${v.tier ?? '-'})${v.uncapped != null && v.uncapped !== v.score ? `, capped by its org from ${v.uncapped}` : ''}`],
    ['local', v.local != null ? `${v.local.score} from ${v.local.evidence} receipts (ok ${v.local.counts.ok}, error ${v.local.counts.error}, denied ${v.local.counts.denied}, timeout ${v.local.counts.timeout})` : 'no first-hand evidence'],
    ...(v.standing != null ? [['standing', `${v.standing.score} (EigenTrust share ${v.standing.trust.toFixed(4)}${v.standing.preTrusted ? ', pre-trusted' : ''})`] as [string, unknown]] : []),
    ...(v.note != null ? [['note', v.note] as [string, unknown]] : [])
  ])
  const ops = v.opinions.length === 0
    ? 'no opinions: the score is the neutral prior'
    : out.table(['from', 'kind', 'score', 'weight', 'moved', 'ok/err/den/to', 'expires'], v.opinions.map(o => [
      o.witnessName ?? short(o.witness), o.kind, o.score, o.weight, o.moved > 0 ? `+${o.moved}` : o.moved,
      `${o.evidence.ok}/${o.evidence.error}/${o.evidence.denied}/${o.evidence.timeout}`, o.exp != null ? new Date(o.exp * 1000).toISOString() : '-'
    ]))
  const ev = v.evidence.length === 0
    ? ''
    : '\n\nlocal evidence (newest first)\n' + out.table(['time', 'outcome', 'agent', 'task'], v.evidence.map(e => [new Date(e.at).toISOString(), e.outcome + (e.policyViolation === true ? ' (violation)' : ''), short(e.subjectAgent), short(e.receiptCid)]))
  return `${head}\n\nopinions\n${ops}${ev}`
}

export function register (trust: Command): void {
  trust.command('show <did>')
    .description('score and tier of an org or agent, with this node\'s evidence and the attestations that moved it')
    .action(async (did: string, _opts: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const v = await call<ShowView>(dataDir, 'GET', `/v1/trust/${encodeURIComponent(did)}`)
      out.result(v, (x) => showHuman(x, out))
    })
}
