/** `trustmesh delegation show <cid>`: the chain as a tree, each link with its verdict. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { call } from '../../node-client.js'

interface Node { cid: string, issuer?: string, audience?: string, verdict: string, capabilities?: Array<{ resource: string, ability: string, caveats: unknown }>, expiresAt?: string | null, proofs?: Node[] }

function render (n: Node, indent: string, out: string[]): void {
  const caps = (n.capabilities ?? []).map(c => `${c.ability} on ${c.resource}${JSON.stringify(c.caveats) !== '[{}]' ? ' ' + JSON.stringify(c.caveats) : ''}`).join('; ')
  out.push(`${indent}${n.cid} [${n.verdict}]`)
  if (n.issuer != null) out.push(`${indent}  ${n.issuer} -> ${n.audience ?? '?'}`)
  if (caps !== '') out.push(`${indent}  ${caps} (expires ${n.expiresAt ?? 'never'})`)
  for (const p of n.proofs ?? []) render(p, indent + '  └ ', out)
}

export function register (delegation: Command): void {
  delegation.command('show <cid>')
    .description('show a delegation and the chain of proofs above it, with each link\'s verdict')
    .action(async (cid: string, _o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const tree = await call<Node>(dataDir, 'GET', `/v1/delegations/${encodeURIComponent(cid)}`)
      out.result(tree, () => { const lines: string[] = []; render(tree, '', lines); return lines.join('\n') })
    })
}
