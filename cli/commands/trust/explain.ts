/** `trustmesh trust explain <did>`: the path of trust from the pre-trusted set, and who passed trust on. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'
import { fields, type Output } from '../../output.js'
import { short, type OpinionView } from './format.js'

interface ExplainView {
  did: string
  org: string
  orgName?: string
  score: number | null
  tier: string | null
  preTrusted: Array<{ did: string, name?: string }>
  eigenTrustError?: { code: string, message: string }
  standing?: { trust: number, score: number, tier: string, preTrusted: boolean }
  path?: Array<{ from: string, to: string, fromName?: string, toName?: string, localTrust: number }>
  pathStrength?: number
  contributions?: Array<{ source: string, name?: string, kind: string, amount: number, fraction: number }>
  opinions: OpinionView[]
}

function human (v: ExplainView, out: Pick<Output, 'table'>): string {
  const nm = (did: string, n?: string): string => n ?? short(did)
  const parts = [fields([
    ['subject', v.did],
    ['org', `${v.org}${v.orgName != null ? ` (${v.orgName})` : ''}`],
    ['score', v.score == null ? 'unknown' : `${v.score} (${v.tier ?? '-'})`],
    ['pre-trusted', v.preTrusted.map(p => nm(p.did, p.name)).join(', ')],
    ...(v.standing != null ? [['standing', `${v.standing.score} (${v.standing.tier}; EigenTrust share ${v.standing.trust.toFixed(4)})`] as [string, unknown]] : []),
    ...(v.eigenTrustError != null ? [['EigenTrust', `failed (${v.eigenTrustError.code}): only this node's own evidence counts`] as [string, unknown]] : [])
  ])]
  if (v.standing?.preTrusted === true) parts.push('path: the org is in the pre-trusted set')
  else if (v.path != null && v.path.length > 0) parts.push(`path (strength ${(v.pathStrength ?? 0).toFixed(3)}): ` + [nm(v.path[0].from, v.path[0].fromName), ...v.path.map(p => `-(${p.localTrust.toFixed(2)})-> ${nm(p.to, p.toName)}`)].join(' '))
  else parts.push('path: none: no pre-trusted org vouches for it, directly or through others')
  if (v.contributions != null && v.contributions.length > 0) parts.push('trust passed on\n' + out.table(['from', 'share'], v.contributions.map(c => [c.kind === 'pretrusted' ? '(pre-trusted)' : nm(c.source, c.name), `${(c.fraction * 100).toFixed(1)}%`])))
  if (v.opinions.length > 0) parts.push('opinions\n' + out.table(['from', 'kind', 'score', 'weight', 'moved'], v.opinions.map(o => [o.witnessName ?? short(o.witness), o.kind, o.score, o.weight, o.moved])))
  return parts.join('\n\n')
}

export function register (trust: Command): void {
  trust.command('explain <did>')
    .description('why an org or agent has its trust: the path from the pre-trusted set and the opinions that count')
    .action(async (did: string, _opts: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const v = await call<ExplainView>(dataDir, 'GET', `/v1/trust/${encodeURIComponent(did)}/explain`)
      out.result(v, (x) => human(x, out))
    })
}
