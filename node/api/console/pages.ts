/**
 * The console's pages as plain server-rendered HTML: no external fonts, scripts or styles (air gap),
 * semantic markup (headings, tables with header cells, labelled fields, a live status region) so
 * screen readers and keyboards work. Every value from the node is escaped.
 */
import type { ParkedRecord } from '../../services/approvals/approval-queue.js'

export interface PeerRow { orgName: string, orgDid: string, peerId: string, since: number, score?: number, tier?: string }
export interface DecisionRow { at: number, direction: string, ability: string, resource: string, invoker: string, peerOrg: string, outcome: string, code: string, reason?: string }

export function escapeHtml (v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c] as string))
}

export const CONSOLE_CSS = `body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem;color:#111;background:#fff}
nav a{margin-right:1rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #999;padding:.25rem .4rem;text-align:left;vertical-align:top}
code{font-size:.9em;word-break:break-all}.approval{border:2px solid #555;padding:.75rem;margin:1rem 0}textarea{width:100%;min-height:3rem}
button{font-size:1rem;padding:.3rem .9rem;margin-right:.5rem}#status{min-height:1.5rem;font-weight:bold}.deny{background:#fdd}.approve{background:#dfd}`

function layout (org: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · trustmesh · ${escapeHtml(org)}</title><link rel="stylesheet" href="/console.css"><script src="/console.js" defer></script></head>
<body><header><p>trustmesh console of <strong>${escapeHtml(org)}</strong></p>
<nav aria-label="console"><a href="/">Pending approvals</a><a href="/peers">Peers and decisions</a></nav></header>
<main><h1>${escapeHtml(title)}</h1>
<p id="status" role="status" aria-live="polite"></p>
${body}</main></body></html>`
}

function keyPanel (): string {
  return `<section aria-labelledby="key-h"><h2 id="key-h">Your approver key</h2>
<p>Signing as: <code id="approver-did">loading…</code></p><p id="approver-hint" hidden></p>
<p><button type="button" id="generate-key">Make a key in this browser</button>
<label>or import a key file (JWK from <code>trustmesh approval keygen</code>): <input type="file" id="import-key" accept=".jwk,.json,application/json"></label></p></section>`
}

function chainTable (r: ParkedRecord): string {
  const links = r.task.chain ?? []
  if (links.length === 0) return '<p>No chain recorded for this task.</p>'
  return `<table><caption>Delegation chain, root first</caption><thead><tr><th scope="col">#</th><th scope="col">issuer</th><th scope="col">to</th><th scope="col">ability</th><th scope="col">resource</th><th scope="col">caveats</th></tr></thead><tbody>
${links.map((l, i) => `<tr><td>${i}</td><td><code>${escapeHtml(l.issuer)}</code></td><td><code>${escapeHtml(l.audience)}</code></td><td>${escapeHtml(l.ability)}</td><td><code>${escapeHtml(l.resource)}</code></td><td><code>${escapeHtml(JSON.stringify(l.caveats))}</code></td></tr>`).join('\n')}
</tbody></table>`
}

function approvalBlock (r: ParkedRecord): string {
  const need = r.task.approvals ?? { count: 1 }
  const given = r.approvals ?? []
  const id = escapeHtml(r.id)
  return `<article class="approval" aria-labelledby="h-${id}"><h2 id="h-${id}">${escapeHtml(r.task.ability)} on <code>${escapeHtml(r.task.resource)}</code></h2>
<dl><dt>approval</dt><dd><code>${id}</code> (task <code>${escapeHtml(r.task.taskId)}</code>)</dd>
<dt>requested by</dt><dd><code>${escapeHtml(r.task.invoker)}</code> of <code>${escapeHtml(r.task.invokerOrg)}</code></dd>
<dt>arguments</dt><dd><code>${escapeHtml(JSON.stringify(r.task.args))}</code></dd>
<dt>effective ring</dt><dd>ring ${escapeHtml(r.task.ring ?? '?')}</dd>
<dt>rule</dt><dd>${escapeHtml(need.rule ?? '(default)')}: needs ${need.count} approval${need.count === 1 ? '' : 's'}${need.role != null ? ` from role ${escapeHtml(need.role)}` : ''}</dd>
<dt>reason</dt><dd class="reason">${escapeHtml(r.task.reason)}</dd>
<dt>deadline</dt><dd>${escapeHtml(new Date(r.deadline).toISOString())}</dd>
<dt>approvals so far</dt><dd class="given">${given.length === 0 ? 'none' : given.map(g => `${escapeHtml(g.name ?? g.approver)} (${escapeHtml(g.decision)}: ${escapeHtml(g.reason ?? '')})`).join('; ')}</dd></dl>
${chainTable(r)}
<form class="decide" data-approval="${id}" data-task="${escapeHtml(r.task.taskId)}">
<label for="why-${id}">Justification (signed with your decision and kept in the audit log)</label>
<textarea id="why-${id}" name="reason" required maxlength="1000"></textarea>
<p><button type="submit" name="decision" value="approve" class="approve">Approve</button><button type="submit" name="decision" value="deny" class="deny">Deny</button></p>
<p class="result" aria-live="polite"></p></form></article>`
}

export function approvalsPage (org: string, pending: readonly ParkedRecord[]): string {
  return layout(org, 'Pending approvals', keyPanel() + (pending.length === 0 ? '<p>No task is waiting for a decision.</p>' : pending.map(approvalBlock).join('\n')))
}

export function peersPage (org: string, peers: readonly PeerRow[], decisions: readonly DecisionRow[]): string {
  const peerTable = peers.length === 0
    ? '<p>No partner node is connected.</p>'
    : `<table><caption>Connected partner nodes</caption><thead><tr><th scope="col">organisation</th><th scope="col">org DID</th><th scope="col">PeerId</th><th scope="col">since</th><th scope="col">trust</th></tr></thead><tbody>
${peers.map(p => `<tr><td>${escapeHtml(p.orgName)}</td><td><code>${escapeHtml(p.orgDid)}</code></td><td><code>${escapeHtml(p.peerId)}</code></td><td>${escapeHtml(new Date(p.since).toISOString())}</td><td>${p.score != null ? `${escapeHtml(p.tier)} (${p.score})` : 'no score yet'}</td></tr>`).join('\n')}
</tbody></table>`
  const decisionTable = decisions.length === 0
    ? '<p>No decisions yet.</p>'
    : `<table><caption>Latest decisions, newest first</caption><thead><tr><th scope="col">time</th><th scope="col">direction</th><th scope="col">ability</th><th scope="col">resource</th><th scope="col">outcome</th><th scope="col">reason code</th><th scope="col">reason</th></tr></thead><tbody>
${decisions.map(d => `<tr><td>${escapeHtml(new Date(d.at).toISOString())}</td><td>${escapeHtml(d.direction)}</td><td>${escapeHtml(d.ability)}</td><td><code>${escapeHtml(d.resource)}</code></td><td>${escapeHtml(d.outcome)}</td><td><code>${escapeHtml(d.code)}</code></td><td>${escapeHtml(d.reason ?? '')}</td></tr>`).join('\n')}
</tbody></table>`
  return layout(org, 'Peers and decisions', `<section aria-labelledby="peers-h"><h2 id="peers-h">Peers</h2>${peerTable}</section><section aria-labelledby="dec-h"><h2 id="dec-h">Latest decisions</h2>${decisionTable}</section>`)
}
