/**
 * acme's org key on a SoftHSM2 token, with real node processes (DESIGN 14): `init --pkcs11-module`
 * creates it on the token, the node starts with it, globex enrols acme, a task crosses the two orgs
 * under credentials and a root delegation the token signed, a restart keeps the same org DID, the
 * private key cannot be read out, `doctor` says where each key lives, and a wrong PIN or a removed
 * key stops the node at start with a named code instead of falling back to a file key.
 * Pending (naming the Debian package softhsm2) where SoftHSM2 is not installed.
 */
import { expect } from 'chai'
import { existsSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cli, connectedOrgs, initOrg, nodeStatus, removeDir, startNode, stopAllNodes, tempDir, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { makeSoftHsm, requireSoftHsm, TEST_PIN, type SoftHsm } from '../helpers/softhsm.js'
import { partnerReadPolicy, startExampleAgent, stopExampleAgents } from './example-agents.js'

const require = createRequire(import.meta.url)
const KEY_LABEL = 'acme-org'

const PARTNER_READ_POLICY = partnerReadPolicy('hsm-test')




async function ok<T = unknown> (dir: string, args: string[], env?: NodeJS.ProcessEnv): Promise<T> {
  const r = await cli(dir, ['--json', ...args], env != null ? { env } : {})
  expect(r.code, `trustmesh ${args.join(' ')}: ${r.stderr}`).to.equal(0)
  return r.json<T>()
}

interface SendReply { outcome: string, code: string, reason?: string }

/** Withdraw a token object (the test's own PKCS#11 session; run with no node using the token). */
function destroyKey (hsm: SoftHsm, token: string, label: string): void {
  const p = require('pkcs11js')
  const lib = new p.PKCS11()
  lib.load(hsm.module)
  lib.C_Initialize()
  try {
    const slot = (lib.C_GetSlotList(true) as Buffer[]).find(s => String(lib.C_GetTokenInfo(s).label).trim() === token)
    const session = lib.C_OpenSession(slot, p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION)
    lib.C_Login(session, p.CKU_USER, TEST_PIN)
    lib.C_FindObjectsInit(session, [{ type: p.CKA_LABEL, value: Buffer.from(label) }])
    const objs = lib.C_FindObjects(session, 4)
    lib.C_FindObjectsFinal(session)
    for (const o of objs) lib.C_DestroyObject(session, o)
  } finally {
    lib.C_Finalize()
  }
}

/** Reading the private value of the token key: the PKCS#11 return code of the attempt. */
function readPrivateValue (hsm: SoftHsm, token: string, label: string): { sensitive: boolean, extractable: boolean, readCode: number | undefined, CKR_ATTRIBUTE_SENSITIVE: number } {
  const p = require('pkcs11js')
  const lib = new p.PKCS11()
  lib.load(hsm.module)
  lib.C_Initialize()
  try {
    const slot = (lib.C_GetSlotList(true) as Buffer[]).find(s => String(lib.C_GetTokenInfo(s).label).trim() === token)
    const session = lib.C_OpenSession(slot, p.CKF_SERIAL_SESSION)
    lib.C_Login(session, p.CKU_USER, TEST_PIN)
    lib.C_FindObjectsInit(session, [{ type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY }, { type: p.CKA_LABEL, value: Buffer.from(label) }])
    const [key] = lib.C_FindObjects(session, 2)
    lib.C_FindObjectsFinal(session)
    const [s, e] = lib.C_GetAttributeValue(session, key, [{ type: p.CKA_SENSITIVE }, { type: p.CKA_EXTRACTABLE }])
    let readCode: number | undefined
    try { lib.C_GetAttributeValue(session, key, [{ type: p.CKA_VALUE }]) } catch (err) { readCode = (err as { code: number }).code }
    return { sensitive: s.value[0] === 1, extractable: e.value[0] === 1, readCode, CKR_ATTRIBUTE_SENSITIVE: p.CKR_ATTRIBUTE_SENSITIVE }
  } finally {
    lib.C_Finalize()
  }
}

describe('org key on a PKCS#11 token (SoftHSM2; needs Debian package softhsm2), real node processes', function () {
  this.timeout(90_000)
  let hsm: SoftHsm
  const dirs: string[] = []
  before(function () {
    requireSoftHsm(this)
    hsm = makeSoftHsm()
  })
  afterEach(async () => { await stopExampleAgents(); await stopAllNodes(); for (const d of dirs.splice(0)) removeDir(d) })
  after(() => { hsm?.cleanup() })

  let tokens = 0
  async function initHsmOrg (pinFile: string): Promise<{ dir: string, orgDid: string, token: string }> {
    const TOKEN = hsm.initToken(`acme-hsm-${tokens++}`)
    const dir = tempDir('ah')
    dirs.push(dir)
    const r = await cli(dir, ['--json', 'init', '--org-name', 'acme', '--pkcs11-module', hsm.module, '--token', TOKEN, '--pin-file', pinFile, '--key-label', KEY_LABEL], { env: hsm.env })
    expect(r.code, r.stderr).to.equal(0)
    writeFileSync(`${dir}/policy.yaml`, PARTNER_READ_POLICY)
    return { dir, orgDid: r.json<{ orgDid: string }>().orgDid, token: TOKEN }
  }

  it('init on the token, start, enrol, a task across two orgs, doctor, restart; the key never leaves the token', async () => {
    const pinFile = hsm.pinFile()
    const acme = await initHsmOrg(pinFile)
    expect(existsSync(`${acme.dir}/keys/org.key`), 'no file org key').to.equal(false)
    expect(existsSync(`${acme.dir}/keys/org.pkcs11.json`)).to.equal(true)
    // running init again uses the existing token key by label: same DID
    const again = await cli(acme.dir, ['--json', 'init', '--org-name', 'acme'], { env: hsm.env })
    expect(again.json<{ orgDid: string }>().orgDid).to.equal(acme.orgDid)

    const gdir = tempDir('gh')
    dirs.push(gdir)
    await initOrg(gdir, 'globex', { swarmKeyFrom: acme.dir })
    writeFileSync(`${gdir}/policy.yaml`, PARTNER_READ_POLICY)
    const [a, b]: NodeProcess[] = await Promise.all([startNode(acme.dir, { env: hsm.env }), startNode(gdir)])
    expect(a.orgDid).to.equal(acme.orgDid)
    await Promise.all([ok(a.dir, ['peer', 'add', b.orgDid, '--addr', b.addr]), ok(b.dir, ['peer', 'add', a.orgDid, '--addr', a.addr])])
    await waitUntil(async () => (await connectedOrgs(a.dir)).includes(b.orgDid) && (await connectedOrgs(b.dir)).includes(a.orgDid), 20_000, 'acme and globex to connect')

    // agents' credentials and alice's root delegation are signed on the token
    await ok(a.dir, ['agent', 'create', 'alice', '--ring', '2', '--can', 'records/read'])
    const dave = await ok<{ did: string }>(a.dir, ['agent', 'create', 'dave', '--ring', '2', '--can', 'records/read'])
    const bob = await ok<{ did: string }>(b.dir, ['agent', 'create', 'bob', '--ring', '2', '--can', 'reports/write'])
    await startExampleAgent(a.dir, 'dave', { env: hsm.env })
    const records = `tm:${a.orgDid}/records`
    const g = await ok<{ cid: string, delivered: { ok: boolean } }>(a.dir, ['delegation', 'grant', '--from', 'alice', '--to', bob.did, '--can', 'records/read', '--with', records, '--ttl', '1h'])
    expect(g.delivered.ok).to.equal(true)
    const sendTask = async (): Promise<SendReply> => {
      const r = await cli(b.dir, ['--json', 'task', 'send', '--timeout', '20000', '--as', 'bob', '--to', dave.did, '--can', 'records/read', '--with', `${records}/7`, '--args', '{"q":1}', '--proof', g.cid], { timeoutMs: 40_000 })
      return r.json<SendReply>()
    }
    const first = await sendTask()
    expect(first.outcome, JSON.stringify(first)).to.equal('ok')

    const doctor = await cli(a.dir, ['--json', 'doctor'], { env: hsm.env })
    const findings = doctor.json<{ findings: Array<{ id: string, message: string }> }>().findings
    expect(findings.find(f => f.id === 'keys.org.location')?.message).to.include(`PKCS#11 token "${acme.token}"`).and.include(KEY_LABEL)
    expect(findings.find(f => f.id === 'keys.node.location')?.message).to.include('encrypted key file')

    const leak = readPrivateValue(hsm, acme.token, KEY_LABEL)
    expect(leak).to.include({ sensitive: true, extractable: false })
    expect(leak.readCode).to.equal(leak.CKR_ATTRIBUTE_SENSITIVE)
    expect(a.logs()).to.not.include(TEST_PIN)

    // restart: the same key on the token, the same DID, reconnects, tasks flow
    await stopExampleAgents()
    expect((await a.stop('SIGTERM')).code).to.equal(0)
    const a2 = await startNode(acme.dir, { env: hsm.env, listen: `/ip4/127.0.0.1/tcp/${a.port}` })
    expect(a2.orgDid).to.equal(acme.orgDid)
    await waitUntil(async () => (await connectedOrgs(b.dir)).includes(a.orgDid), 20_000, 'globex to reconnect to acme')
    await startExampleAgent(a.dir, 'dave', { env: hsm.env })
    const second = await sendTask()
    expect(second.outcome, JSON.stringify(second)).to.equal('ok')

    // rotation keeps the org key on the token: a new key there, the old one retired (kept, not deleted)
    const rot = await ok<{ oldDid: string, newDid: string, key: { where: string, token?: string, label?: string } }>(a.dir, ['identity', 'rotate'], hsm.env)
    expect(rot.oldDid).to.equal(acme.orgDid)
    expect(rot.key).to.include({ where: 'pkcs11', token: acme.token })
    await waitUntil(async () => (await connectedOrgs(b.dir)).includes(rot.newDid), 20_000, 'globex to follow acme to its new token key')
    const after = await cli(a.dir, ['--json', 'doctor'], { env: hsm.env })
    expect(after.json<{ findings: Array<{ id: string, message: string }> }>().findings.find(f => f.id === 'keys.org-2.location')?.message).to.include(`PKCS#11 token "${acme.token}"`)
    expect(readPrivateValue(hsm, acme.token, rot.key.label as string).readCode).to.equal(leak.CKR_ATTRIBUTE_SENSITIVE)
    expect(existsSync(`${acme.dir}/keys/org-2.key`), 'no file key for the new org key').to.equal(false)
  })

  it('the node key on the token too: its PeerId is the token key\'s, hello and a task work, it cannot be read out, it rotates on the token, a removed node key stops the start', async () => {
    const TOKEN = hsm.initToken(`acme-hsm-${tokens++}`)
    const dir = tempDir('an')
    dirs.push(dir)
    const init = await cli(dir, ['--json', 'init', '--org-name', 'acme', '--pkcs11-module', hsm.module, '--token', TOKEN, '--pin-file', hsm.pinFile(), '--node-key-on-token', '--node-key-label', 'acme-node'], { env: hsm.env })
    expect(init.code, init.stderr).to.equal(0)
    const id = init.json<{ orgDid: string, peerId: string, nodeDid: string }>()
    writeFileSync(`${dir}/policy.yaml`, PARTNER_READ_POLICY)
    expect(existsSync(`${dir}/keys/node.key`), 'no file node key').to.equal(false)
    expect(existsSync(`${dir}/keys/node.pkcs11.json`)).to.equal(true)
    const bare = tempDir('an')
    dirs.push(bare)
    const noNodeFlag = await cli(bare, ['init', '--org-name', 'x', '--node-key-on-token'])
    expect(noNodeFlag.code).to.equal(2)
    expect(noNodeFlag.stderr).to.match(/--node-key-on-token needs --pkcs11-module/)

    const gdir = tempDir('gn')
    dirs.push(gdir)
    await initOrg(gdir, 'globex', { swarmKeyFrom: dir })
    writeFileSync(`${gdir}/policy.yaml`, PARTNER_READ_POLICY)
    const [a, b]: NodeProcess[] = await Promise.all([startNode(dir, { env: hsm.env }), startNode(gdir)])
    expect(a.peerId).to.equal(id.peerId)
    await Promise.all([ok(a.dir, ['peer', 'add', b.orgDid, '--addr', b.addr]), ok(b.dir, ['peer', 'add', a.orgDid, '--addr', a.addr])])
    // globex's hello checked acme's NodeCredential for this PeerId, whose Noise handshake the token signed
    await waitUntil(async () => (await connectedOrgs(b.dir)).includes(a.orgDid) && (await connectedOrgs(a.dir)).includes(b.orgDid), 20_000, 'acme and globex to connect')

    const dave = await ok<{ did: string }>(a.dir, ['agent', 'create', 'dave', '--ring', '2', '--can', 'records/read'])
    await ok(a.dir, ['agent', 'create', 'alice', '--ring', '2', '--can', 'records/read'])
    const bob = await ok<{ did: string }>(b.dir, ['agent', 'create', 'bob', '--ring', '2', '--can', 'reports/write'])
    await startExampleAgent(a.dir, 'dave', { env: hsm.env })
    const records = `tm:${a.orgDid}/records`
    const g = await ok<{ cid: string }>(a.dir, ['delegation', 'grant', '--from', 'alice', '--to', bob.did, '--can', 'records/read', '--with', records, '--ttl', '1h'])
    const r = await cli(b.dir, ['--json', 'task', 'send', '--timeout', '20000', '--as', 'bob', '--to', dave.did, '--can', 'records/read', '--with', `${records}/7`, '--args', '{"q":1}', '--proof', g.cid], { timeoutMs: 40_000 })
    // the receipt is signed by the node key, on the token
    expect(r.json<SendReply>().outcome, r.stdout + r.stderr).to.equal('ok')

    const doctor = await cli(a.dir, ['--json', 'doctor'], { env: hsm.env })
    expect(doctor.json<{ findings: Array<{ id: string, message: string }> }>().findings.find(f => f.id === 'keys.node.location')?.message).to.include(`PKCS#11 token "${TOKEN}"`).and.include('acme-node')
    const leak = readPrivateValue(hsm, TOKEN, 'acme-node')
    expect(leak).to.include({ sensitive: true, extractable: false })
    expect(leak.readCode).to.equal(leak.CKR_ATTRIBUTE_SENSITIVE)

    // a rotation makes a new key: a label already on the token (here the current node key's) is refused
    const reuse = await cli(a.dir, ['--json', 'identity', 'rotate', '--node-key', '--key-label', 'acme-node', '--pkcs11-module', hsm.module, '--token', TOKEN, '--pin-file', hsm.pinFile()], { env: hsm.env })
    expect(reuse.code).to.not.equal(0)
    expect(reuse.stderr).to.match(/KEY_EXISTS/)
    expect(existsSync(`${dir}/keys/node-2.pkcs11.json`), 'nothing recorded for the refused rotation').to.equal(false)
    // rotation keeps the node key on its token: a new key there, the new PeerId from the restart on
    const rot = await ok<{ newPeerId: string, where: string, key: string }>(a.dir, ['identity', 'rotate', '--node-key'], hsm.env)
    expect(rot).to.include({ where: 'pkcs11' })
    expect(rot.key).to.include(`PKCS#11 token ${TOKEN}`).and.include('trustmesh-node-2')
    expect(existsSync(`${dir}/keys/node-2.pkcs11.json`)).to.equal(true)
    expect(existsSync(`${dir}/keys/node-2.key`), 'no file key for the new node key').to.equal(false)
    await stopExampleAgents()
    expect((await a.stop('SIGTERM')).code).to.equal(0)
    const a2 = await startNode(dir, { env: hsm.env, listen: `/ip4/127.0.0.1/tcp/${a.port}` })
    expect(a2.peerId).to.equal(rot.newPeerId)
    await waitUntil(async () => ((await nodeStatus(b.dir))?.connectedPeers ?? []).some(p => p.peerId === rot.newPeerId), 20_000, 'globex to accept the new PeerId from the token')
    expect(readPrivateValue(hsm, TOKEN, 'trustmesh-node-2').readCode).to.equal(leak.CKR_ATTRIBUTE_SENSITIVE)
    expect((await a2.stop('SIGTERM')).code).to.equal(0)
    destroyKey(hsm, TOKEN, 'trustmesh-node-2')
    const start = await cli(dir, ['node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'], { env: hsm.env, timeoutMs: 30_000 })
    expect(start.code).to.equal(1)
    expect(start.stderr).to.match(/KEY_NOT_FOUND/)
    expect(existsSync(`${dir}/keys/node.key`), 'no file node key made in its place').to.equal(false)
  })

  it('a wrong PIN, a removed key or a missing token stops the node at start with a named code; no file key is used', async () => {
    const pinFile = hsm.pinFile()
    const acme = await initHsmOrg(pinFile)
    const start = async (env: NodeJS.ProcessEnv = hsm.env): Promise<{ code: number | null, stderr: string }> => await cli(acme.dir, ['node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'], { env, timeoutMs: 30_000 })

    writeFileSync(pinFile, '000000\n')
    let r = await start()
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/WRONG_PIN/)
    expect(r.stderr.trim().split('\n')).to.have.length(1)
    writeFileSync(pinFile, TEST_PIN + '\n')

    destroyKey(hsm, acme.token, KEY_LABEL)
    r = await start()
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/KEY_NOT_FOUND/)

    // another SoftHSM configuration without this token: the token is missing
    const other = makeSoftHsm()
    try {
      r = await start(other.env)
      expect(r.code).to.equal(1)
      expect(r.stderr).to.match(/TOKEN_NOT_FOUND/)
    } finally {
      other.cleanup()
      process.env.SOFTHSM2_CONF = hsm.conf
    }
    expect(existsSync(`${acme.dir}/keys/org.key`)).to.equal(false)
  })
})
