/**
 * The local boundary (DESIGN.md section 2b) with real processes: an agent process with its own key,
 * run as another OS user (nobody, through setpriv) when the tests run as root, reaches its node only
 * through agent.sock and can do what an agent may (send as itself, grant and revoke its own
 * delegations, trust, directory) and nothing else: operator routes are absent there, unsigned,
 * replayed and forged proofs are refused, and it can neither poll for nor send as another agent.
 * Also: agent keys an older node held are moved out of its key store at start.
 */
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createClient } from '../../client/control-client.js'
import { generateAgentKeyFile, loadAgentKeyFile } from '../../identity/agent-key.js'
import { Ed25519Signer } from '../../identity/signer.js'
import { dataDirLayout } from '../../node/data-dir.js'
import { openKeyStore } from '../../node/init-org.js'
import { agentOf, registerAgent, removeDir, startNode, stopAllNodes, TEST_PASSPHRASE } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

const PROBE = fileURLToPath(new URL('./agent-probe.js', import.meta.url))
const NOBODY = 65534
const asRoot = process.getuid?.() === 0

describe('the agent API: an agent process acts only as itself', function () {
  this.timeout(120_000)
  let orgs: OrgTemplates
  const dirs: string[] = []
  before(async function () {
    this.timeout(60_000)
    orgs = await makeOrgTemplates(['acme'])
  })
  afterEach(async () => { await stopAllNodes(); orgs.cleanupCopies(); for (const d of dirs.splice(0)) removeDir(d) })
  after(() => { orgs?.cleanup() })

  it('as another OS user, with its own key: may send, delegate, revoke its own, read trust and the directory; nothing else', async () => {
    const dir = orgs.copy('acme')
    // a key an older node kept for its agent "legacy": moved out of the node's key store at start
    const legacy = await openKeyStore(dataDirLayout(dir), TEST_PASSPHRASE).create('agent-legacy')
    const node = await startNode(dir, { env: { TRUSTMESH_AGENT_SOCKET_GROUP: String(NOBODY) } })
    expect(existsSync(`${dir}/keys/agent-legacy.key`)).to.equal(false)
    expect((await loadAgentKeyFile(`${dir}/agents/legacy.key`)).did).to.equal(legacy.did)
    // the node's key store holds its own keys only (org, node, its saga coordinator service key): no agent's
    expect(readdirSync(`${dir}/keys`).sort()).to.deep.equal(['node.key', 'org.key', 'saga.key'])

    expect(statSync(`${dir}/control.sock`).mode & 0o777).to.equal(0o600)
    const sock = statSync(`${dir}/agent.sock`)
    expect([sock.mode & 0o777, sock.gid]).to.deep.equal([0o660, NOBODY])
    chmodSync(dir, 0o711) // the operator lets agents' users reach agent.sock (and nothing else: the rest is 0600)

    // alice's key lives with alice's OS user; only her DID goes to the node
    const keyDir = mkdtempSync('/tmp/tm-alice-')
    dirs.push(keyDir)
    const aliceKey = `${keyDir}/alice.key`
    const alice = await generateAgentKeyFile(aliceKey)
    if (asRoot) { chownSync(keyDir, NOBODY, NOBODY); chownSync(aliceKey, NOBODY, NOBODY) }
    await createClient({ dataDir: dir }).request('POST', '/v1/agents', { name: 'alice', did: alice.did, ring: 2, capabilities: ['records/read'] })
    const bob = await registerAgent(dir, { name: 'bob', ring: 2, capabilities: ['records/read'] })
    const bobAgent = await agentOf(dir, 'bob')
    bobAgent.serve('records/read', async (task) => ({ handledBy: 'bob', invoker: task.invoker }))

    const cmd = asRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath] : [process.execPath]
    const proc = spawn(cmd[0], [...cmd.slice(1), PROBE, `${dir}/agent.sock`, aliceKey, bob.did, `tm:${node.orgDid}/records`], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    proc.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    const code = await new Promise(resolve => proc.once('exit', resolve))
    expect(code, stderr).to.equal(0)
    const out = JSON.parse(stdout) as Record<string, unknown>
    if (asRoot) expect(out.uid).to.equal(NOBODY)
    expect(out, stderr).to.include({ me: 'ok', name: 'alice', accepted: true, send: 'ok', sendOutcome: 'ok', delegate: 'ok', revokeOwn: 'ok', trust: 'ok', directory: 'ok', delegations: 'ok' })
    for (const route of ['GET /v1/status', 'POST /v1/approvals/x/approve', 'POST /v1/rings/elevations', 'POST /v1/policy/load', 'POST /v1/agents', 'POST /v1/delegations/x/revoke']) {
      expect(out[route], route).to.equal('NOT_FOUND')
    }
    expect(out).to.include({ noProof: 'PROOF_MISSING', firstUse: 200, replay: 'PROOF_REPLAYED', asOther: 'PROOF_BAD_SIGNATURE', pollOther: 'WRONG_AGENT', sendAsOther: 'NOT_INVOKER', resultNotMine: 'TASK_NOT_FOUND' })
    // revoking what its org issued to it is refused with a code (an agent revokes only what it issued or is above)
    expect(out.revokeNotOwn).to.be.a('string').and.match(/^[A-Z][A-Z_]+$/)
    expect(out.revokeNotOwn).to.not.be.oneOf(['ok', 'NONE_HELD'])
    // the org still runs its own agents' lives on control.sock, and an agent is never ring 0
    const ring0 = await createClient({ dataDir: dir }).request('POST', '/v1/agents', { name: 'root', did: Ed25519Signer.generate().did, ring: 0, capabilities: ['*'] }).catch((e: { code?: string }) => e.code)
    expect(ring0).to.equal('INVALID_RING')
  })
})
