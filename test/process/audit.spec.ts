/**
 * Audit with real node processes: after a three-organisation run (enrolment, agents, delegation,
 * task, revocation) one node's evidence bundle, cosigned by the two others, verifies on its own with
 * no node and no data directory, and any one changed byte makes it fail. An entry edited in a
 * stopped node's store, or a cut tail, is caught by `audit verify` (offline and by the restarted
 * node, which then refuses every decision).
 */
import { expect } from 'chai'
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { agentOf, cli, connectedOrgs, registerAgent, removeDir, startNode, stopAllNodes, tempDir, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'
import { verifyBundle } from '../../audit/index.js'
import { createClient } from '../../client/control-client.js'
import { openStore } from '../../node/store/index.js'
import { SUBLEVELS } from '../../node/store/sublevels.js'

const ENV = { TRUSTMESH_AUDIT_INTERVAL_MS: '500' }

interface Report { ok: boolean, code?: string, entries: number, checkpointSize?: number, cosigners: string[] }
interface Entry { seq: number, kind: string, subject: string, reason?: string }

/** Edits the stopped node's audit store directly (what an attacker with disk access could do). */
async function editStore (dir: string, edit: (entries: ReturnType<Awaited<ReturnType<typeof openStore>>['sublevel']>) => Promise<void>): Promise<void> {
  const store = await openStore(dir)
  try {
    await edit(store.sublevel(SUBLEVELS.auditEntries))
  } finally {
    await store.close()
  }
}

/** Setup goes through the control API (a CLI process per step costs a second); audit verbs use the CLI. */
async function api<T = unknown> (dir: string, method: string, path: string, body?: unknown): Promise<T> {
  return await createClient({ dataDir: dir, timeoutMs: 20_000 }).request<T>(method, path, body)
}

/** Flips each byte of `name` in turn (in `workers` copies at once) and returns how many were accepted. */
async function acceptedFlips (bundle: string, name: string, workers: number, scratch: string[]): Promise<number[]> {
  const original = readFileSync(join(bundle, name))
  const accepted: number[] = []
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    const copy = tempDir('tmx')
    scratch.push(copy)
    cpSync(bundle, copy, { recursive: true })
    for (let i = w; i < original.length; i += workers) {
      const changed = Buffer.from(original)
      changed[i] ^= 0x01
      await writeFile(join(copy, name), changed)
      if ((await verifyBundle(copy)).ok) accepted.push(i)
    }
  }))
  return accepted
}

const UTF8 = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const
const entryKey = (i: number): string => `e:${i.toString(16).padStart(13, '0')}`

describe('audit across node processes', function () {
  this.timeout(60_000)
  let orgs: OrgTemplates
  const scratch: string[] = []
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme', 'globex', 'initech'])
  })
  afterEach(async () => {
    await stopAllNodes()
    orgs.cleanupCopies()
    for (const d of scratch.splice(0)) removeDir(d)
  })
  after(() => { orgs?.cleanup() })

  it('after a three-org task run, one node\'s bundle is cosigned, verifies on its own, and fails after any changed byte', async () => {
    const [a, b, c]: NodeProcess[] = await Promise.all((['acme', 'globex', 'initech'] as const).map(async o => await startNode(orgs.copy(o), { env: ENV })))
    const nodes = [a, b, c]
    await Promise.all(nodes.flatMap(n => nodes.filter(o => o !== n).map(async o => {
      await api(n.dir, 'POST', '/v1/peers', { orgDid: o.orgDid, addrs: [o.addr], name: o.orgName })
    })))
    await waitUntil(async () => (await Promise.all(nodes.map(async n => (await connectedOrgs(n.dir)).length))).every(k => k === 2), 20_000, 'every node to have 2 connected partners')
    const agent = async (n: NodeProcess, name: string, can: string): Promise<string> =>
      (await registerAgent(n.dir, { name, ring: 2, capabilities: [can], ttlSeconds: 3600 })).did
    await agent(a, 'alice', 'records/read')
    const bob = await agent(b, 'bob', 'reports/write')
    const carol = await agent(c, 'carol', 'records/read')
    const { cid } = await (await agentOf(a.dir, 'alice')).delegate({ to: bob, ability: 'records/read', resource: `tm:${a.orgDid}/records`, ttlSeconds: 3600 })
    const sent = await (await agentOf(b.dir, 'bob')).send({ to: carol, ability: 'records/read', resource: `tm:${a.orgDid}/records/42`, proof: cid, timeoutMs: 5000 })
    const taskId = sent.id
    await api(a.dir, 'POST', `/v1/delegations/${cid}/revoke`, {})

    // the decisions are in the logs: the grant and the revocation at acme, the task's decision at initech
    const kinds = async (n: NodeProcess): Promise<Entry[]> => (await cli(n.dir, ['--json', 'audit', 'show'])).json<{ entries: Entry[] }>().entries
    const atA = await kinds(a)
    expect(atA.filter(e => e.kind === 'enrolment')).to.have.length(2)
    expect(atA.some(e => e.kind === 'delegation' && e.subject === cid)).to.equal(true)
    expect(atA.some(e => e.kind === 'revocation' && e.subject === cid)).to.equal(true)
    const atC = await kinds(c)
    const decided = atC.filter(e => e.kind.startsWith('task.'))
    expect(decided, JSON.stringify(sent)).to.have.length(1)
    if (taskId !== '') expect(decided[0].subject).to.equal(taskId)
    const proof = await cli(c.dir, ['--json', 'audit', 'proof', String(decided[0].seq)])
    expect(proof.code, proof.stderr).to.equal(0)
    expect(proof.json<{ verified: boolean }>().verified).to.equal(true)

    const bundle = tempDir('tmb')
    scratch.push(bundle)
    const exported = await cli(c.dir, ['--json', 'audit', 'export', bundle])
    expect(exported.code, exported.stderr).to.equal(0)
    expect(exported.json<{ cosigners: Array<{ did: string }> }>().cosigners).to.have.length(2)
    const live = await cli(c.dir, ['--json', 'audit', 'verify', '--min-cosignatures', '2'])
    expect(live.code, live.stdout + live.stderr).to.equal(0)

    // on its own: no data directory, no node
    const alone = await cli(undefined, ['--json', 'audit', 'verify', '--bundle', bundle, '--min-cosignatures', '2'])
    expect(alone.code, alone.stdout + alone.stderr).to.equal(0)
    const report = alone.json<Report>()
    expect(report.ok).to.equal(true)
    expect(report.cosigners).to.have.length(2)
    expect(report.checkpointSize).to.equal(report.entries)

    // every single changed byte of every file is refused
    let flips = 0
    for (const name of readdirSync(bundle)) {
      expect(await acceptedFlips(bundle, name, 8, scratch), `bytes of ${name} whose change was accepted`).to.deep.equal([])
      flips += readFileSync(join(bundle, name)).length
    }
    expect(flips).to.be.greaterThan(1000)
    const copy = tempDir('tmy')
    scratch.push(copy)
    // and through the CLI, one changed byte in the entries and one in the checkpoint signature
    for (const [name, at] of [['entries.jsonl', 40], ['checkpoint.txt', -10]] as const) {
      cpSync(bundle, copy, { recursive: true })
      const bytes = readFileSync(join(copy, name))
      bytes[at < 0 ? bytes.length + at : at] ^= 0x01
      writeFileSync(join(copy, name), bytes)
      const r = await cli(undefined, ['--json', 'audit', 'verify', '--bundle', copy])
      expect(r.code, `${name}: ${r.stdout}`).to.equal(1)
      expect(r.json<Report>().ok).to.equal(false)
    }
  })

  it('an entry edited in the store or a cut tail is caught by audit verify, and the node then decides nothing', async () => {
    const dir = orgs.copy('acme')
    let n = await startNode(dir, { env: ENV })
    for (const o of ['globex', 'initech'] as const) await api(dir, 'POST', '/v1/peers', { orgDid: orgs.did(o), name: o, addrs: [] })
    await api(dir, 'POST', '/v1/audit/checkpoint', {})
    await n.stop()
    const good = await cli(dir, ['--json', 'audit', 'verify'])
    expect(good.code, good.stdout + good.stderr).to.equal(0)
    const before = good.json<Report & { source: string }>()
    expect(before.source).to.equal('store')
    expect(before.entries).to.be.greaterThanOrEqual(4) // node.start, 2 enrolments, node.stop

    const cut = tempDir('tmc')
    scratch.push(cut)
    cpSync(dir, cut, { recursive: true })

    // 1. an edited entry: offline, then by the restarted node, which refuses decisions
    await editStore(dir, async (entries) => {
      const text = await entries.get(entryKey(1), UTF8) as string
      await entries.put(entryKey(1), text.replace('"add"', '"ADD"'), UTF8)
    })
    const offline = await cli(dir, ['--json', 'audit', 'verify'])
    expect(offline.code).to.equal(1)
    expect(offline.json<Report>().code).to.equal('ROOT_MISMATCH')
    n = await startNode(dir, { env: ENV })
    const online = await cli(dir, ['--json', 'audit', 'verify'])
    expect(online.code).to.equal(1)
    expect(online.json<Report & { source: string }>()).to.include({ source: 'node', code: 'ROOT_MISMATCH' })
    const refused = await cli(dir, ['peer', 'remove', orgs.did('globex')])
    expect(refused.code).to.equal(1)
    expect(refused.stderr).to.include('AUDIT_UNAVAILABLE')
    await n.stop()

    // 2. a cut tail
    await editStore(cut, async (entries) => { await entries.del(entryKey(before.entries - 1), UTF8) })
    const truncated = await cli(cut, ['--json', 'audit', 'verify'])
    expect(truncated.code).to.equal(1)
    expect(truncated.json<Report>().code).to.equal('TRUNCATED')
  })
})
