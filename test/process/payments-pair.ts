/**
 * Two node processes for approval, metrics and console tests: acme's alice (ring 1) holds
 * payments/send on globex's payments from globex's gina (ring 1); globex's policy parks payments for
 * approval (two approvals from `payments-approver` above 1000) and denies amounts above 100000.
 */
import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { agentOf, cli, connectedOrgs, registerAgent, startNode, waitUntil, type NodeProcess, type StartOptions } from '../helpers/node-process.js'
import { createClient } from '../../client/control-client.js'
import type { OrgTemplates } from './org-templates.js'

export const GLOBEX_POLICY = `version: 1
name: globex
default: deny
rings:
  "*/read": 3
  "payments/*": 1
rules:
  - id: read-partners
    effect: allow
    match: { ability: "*/read", callerOrg: partner }
  - id: huge-payments
    effect: deny
    reason: never pay this much
    match: { ability: "payments/*", args: { amount: { gt: 100000 } } }
  - id: big-payments-two-person
    effect: require_approval
    reason: big payments need two people
    approvals: { count: 2, role: payments-approver }
    match: { ability: "payments/*", ring: { max: 1 }, args: { amount: { gt: 1000 } } }
  - id: pay-needs-approval
    effect: require_approval
    reason: payments need a human
    match: { ability: "payments/*", ring: { max: 1 } }
`

export interface Sent { id: string, outcome: string, code: string, reason?: string, approvalId?: string, output?: unknown }
export interface Pair { acme: NodeProcess, globex: NodeProcess, alice: string, gina: string }

/** Setup goes through the control API (each CLI process costs about a second). */
export async function api<T> (dir: string, method: string, path: string, body?: unknown): Promise<T> {
  return await createClient({ dataDir: dir, timeoutMs: 20_000 }).request<T>(method, path, body)
}

export async function pair (orgs: OrgTemplates, globexOptions: StartOptions = {}, policy = GLOBEX_POLICY): Promise<Pair> {
  const gdir = orgs.copy('globex')
  writeFileSync(`${gdir}/policy.yaml`, policy)
  const [acme, globex] = await Promise.all([startNode(orgs.copy('acme')), startNode(gdir, globexOptions)])
  await api(acme.dir, 'POST', '/v1/peers', { orgDid: globex.orgDid, addrs: [globex.addr] })
  await api(globex.dir, 'POST', '/v1/peers', { orgDid: acme.orgDid, addrs: [acme.addr], maxRing: 1 })
  await waitUntil(async () => (await connectedOrgs(acme.dir)).includes(globex.orgDid), 15_000, 'acme to connect to globex')
  const alice = (await registerAgent(acme.dir, { name: 'alice', ring: 1, capabilities: ['records/read'] })).did
  const gina = (await registerAgent(globex.dir, { name: 'gina', ring: 1, capabilities: ['payments/send'] })).did
  // gina holds her own key: the delegation is signed by her through the agent API
  const grant = await (await agentOf(globex.dir, 'gina')).delegate({ to: alice, ability: 'payments/send', resource: `tm:${globex.orgDid}/payments`, ttlSeconds: 3600 })
  expect(grant.delivered.ok, JSON.stringify(grant.delivered)).to.equal(true)
  return { acme, globex, alice, gina }
}

/** alice sends payments/send with `args` to gina, through acme's CLI. */
export async function sendPayment (p: Pair, args: unknown): Promise<Sent> {
  const r = await cli(p.acme.dir, ['--json', 'task', 'send', '--as', 'alice', '--to', p.gina, '--can', 'payments/send', '--with', `tm:${p.globex.orgDid}/payments/7`, '--args', JSON.stringify(args)])
  return r.json<Sent>()
}
