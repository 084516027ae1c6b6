/**
 * SPIFFE in hello with real node processes (issue 8): each node gets its own fake Workload API (a real
 * gRPC server on its own Unix socket, run by this test process, serving certificates generated here
 * for two trust domains). Enrolled with `--spiffe-bundle`/`--spiffe-id`, the nodes verify each other's
 * SVIDs during hello and show it in `peer list` and `node status`; a wrong bundle, a wrong expected ID
 * or a forged SVID is refused with the reason in the log; a node with an unreachable socket or only an
 * expired SVID does not start.
 */
import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { certificatesToPem } from '../../node/services/spiffe/index.js'
import { concat, makeLeaf, makeRoot, type TestCa, type TestLeaf } from '../node/services/spiffe/test-pki.js'
import { startFakeWorkloadApi, x509Response, type FakeWorkloadApi } from '../node/services/spiffe/fake-workload-api.js'
import { LOOPBACK_LISTEN, cli, connectedOrgs, removeDir, startNode, stopAllNodes, tempDir, waitUntil, type NodeProcess } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'

const HOUR = 3600_000
const DAY = 24 * HOUR
const CONNECT_TIMEOUT_MS = 15_000
/** The node waits this long for a first SVID before it gives up (DEFAULT_READY_TIMEOUT_MS) plus start-up. */
const START_FAILURE_TIMEOUT_MS = 30_000

const ACME_ID = 'spiffe://acme.test/trustmesh/node'
const GLOBEX_ID = 'spiffe://globex.test/trustmesh/node'

interface PeerView { orgDid: string, connected: boolean, spiffe?: { spiffeId: string }, nodes: Array<{ peerId: string, spiffeVerified: boolean, spiffeId?: string }> }
interface StatusView { connectedPeers: Array<{ orgDid: string, spiffeId?: string }>, spiffe?: { spiffeId?: string, svidExpiresAt?: string, state: string } }

interface Pki {
  acmeRoot: TestCa
  globexRoot: TestCa
  /** globex's next CA, for a rotation. */
  globexRoot2: TestCa
  /** Same subject name as globex's root, different key: an impostor CA. */
  rogueRoot: TestCa
  acme: TestLeaf
  globex: TestLeaf
  globexExpired: TestLeaf
  globexForged: TestLeaf
  /** globex's SVID after the rotation, under globexRoot2. */
  globexRotated: TestLeaf
  leafNotAfter: number
  rotatedNotAfter: number
}

async function makePki (): Promise<Pki> {
  const now = Date.now()
  const rootValidity = { notBefore: now - 30 * DAY, notAfter: now + 365 * DAY }
  const [acmeRoot, globexRoot, rogueRoot, globexRoot2] = await Promise.all([
    makeRoot('acme.test root', rootValidity), makeRoot('globex.test root', rootValidity), makeRoot('globex.test root', rootValidity),
    makeRoot('globex.test root 2', rootValidity)
  ])
  // whole seconds: certificates carry no milliseconds
  const leafNotAfter = Math.floor((now + DAY) / 1000) * 1000
  const valid = { notBefore: now - HOUR, notAfter: leafNotAfter }
  const rotatedNotAfter = leafNotAfter + HOUR
  return {
    acmeRoot,
    globexRoot,
    globexRoot2,
    rogueRoot,
    leafNotAfter,
    rotatedNotAfter,
    globexRotated: await makeLeaf(globexRoot2, { uris: [GLOBEX_ID], notBefore: now - HOUR, notAfter: rotatedNotAfter }),
    acme: await makeLeaf(acmeRoot, { uris: [ACME_ID], ...valid }),
    globex: await makeLeaf(globexRoot, { uris: [GLOBEX_ID], ...valid }),
    globexExpired: await makeLeaf(globexRoot, { uris: [GLOBEX_ID], notBefore: now - 2 * DAY, notAfter: now - DAY }),
    globexForged: await makeLeaf(rogueRoot, { uris: [GLOBEX_ID], ...valid })
  }
}

describe('SPIFFE between two node processes', function () {
  this.timeout(90_000)
  let orgs: OrgTemplates
  let pki: Pki
  let files: string
  let bundles: { acme: string, globex: string, globexBoth: string, acmeLeaf: string, garbage: string }
  const fakes: FakeWorkloadApi[] = []
  const nodes: NodeProcess[] = []

  before(async function () {
    this.timeout(60_000)
    ;[orgs, pki] = await Promise.all([makeOrgTemplates(['acme', 'globex']), makePki()])
    files = tempDir('tms')
    bundles = { acme: `${files}/acme.pem`, globex: `${files}/globex.pem`, globexBoth: `${files}/globex2.pem`, acmeLeaf: `${files}/leaf.pem`, garbage: `${files}/junk.pem` }
    writeFileSync(bundles.globexBoth, certificatesToPem([pki.globexRoot.der, pki.globexRoot2.der]))
    writeFileSync(bundles.acme, certificatesToPem([pki.acmeRoot.der]))
    writeFileSync(bundles.globex, certificatesToPem([pki.globexRoot.der]))
    writeFileSync(bundles.acmeLeaf, certificatesToPem([pki.acme.der]))
    writeFileSync(bundles.garbage, '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n')
  })
  afterEach(async function () {
    // a failed test shows what the nodes said
    if (this.currentTest?.state === 'failed') for (const n of nodes) process.stderr.write(`--- ${n.orgName} (${n.peerId})\n${n.logs()}\n`)
    nodes.length = 0
    await stopAllNodes()
    await Promise.all(fakes.splice(0).map(async f => { await f.stop() }))
    orgs.cleanupCopies()
  })
  after(() => {
    orgs?.cleanup()
    if (files != null) removeDir(files)
  })

  /** A fake Workload API serving `leaf` issued under `root` (its own bundle). */
  async function workloadApi (id: string, leaf: TestLeaf, root: TestCa): Promise<FakeWorkloadApi> {
    const f = await startFakeWorkloadApi()
    fakes.push(f)
    f.pushX509(x509Response(id, leaf.der, leaf.key, root.der))
    return f
  }

  async function startWith (org: 'acme' | 'globex', api?: FakeWorkloadApi): Promise<NodeProcess> {
    const n = await startNode(orgs.copy(org), { extraArgs: api != null ? ['--spiffe-socket', api.address] : [] })
    nodes.push(n)
    return n
  }

  async function enrol (at: NodeProcess, other: NodeProcess, spiffe?: { bundle: string, id: string }): Promise<void> {
    const r = await cli(at.dir, ['--json', 'peer', 'add', other.orgDid, '--addr', other.addr, ...(spiffe != null ? ['--spiffe-bundle', spiffe.bundle, '--spiffe-id', spiffe.id] : [])])
    expect(r.code, r.stderr).to.equal(0)
  }

  async function peerList (dir: string): Promise<PeerView[]> {
    const r = await cli(dir, ['--json', 'peer', 'list'])
    expect(r.code, r.stderr).to.equal(0)
    return r.json<PeerView[]>()
  }

  async function status (dir: string): Promise<StatusView> {
    const r = await cli(dir, ['--json', 'node', 'status'])
    expect(r.code, r.stderr).to.equal(0)
    return r.json<StatusView>()
  }

  async function waitConnected (a: NodeProcess, b: NodeProcess): Promise<void> {
    await waitUntil(async () => (await connectedOrgs(a.dir)).includes(b.orgDid) && (await connectedOrgs(b.dir)).includes(a.orgDid), CONNECT_TIMEOUT_MS, `${a.orgName} and ${b.orgName} to connect`)
  }

  /**
   * Wait for `refuser` to log a hello refusal of `partner` with `code`, checking all along that the
   * refuser never lists the partner as connected. Returns the refusal line.
   */
  async function expectRefused (refuser: NodeProcess, partner: NodeProcess, code: string, logsFrom = 0): Promise<string> {
    const re = new RegExp(`hello refused peer=${partner.peerId} code=${code} reason=.*`)
    const logs = (): string => refuser.logs().slice(logsFrom)
    await waitUntil(async () => {
      expect(await connectedOrgs(refuser.dir), `${refuser.orgName} must never list ${partner.orgName} as connected`).to.not.include(partner.orgDid)
      return re.test(logs())
    }, CONNECT_TIMEOUT_MS, `${refuser.orgName} to refuse ${partner.orgName} with ${code}`)
    expect(await connectedOrgs(refuser.dir)).to.not.include(partner.orgDid)
    const list = await peerList(refuser.dir)
    expect(list.find(p => p.orgDid === partner.orgDid)).to.include({ connected: false })
    expect(logs()).to.not.match(new RegExp(`peer verified peer=${partner.peerId}`))
    return (logs().match(re) as RegExpMatchArray)[0]
  }

  it('two nodes, each with its own Workload API, verify each other\'s SVIDs in hello; peer list and node status show it', async () => {
    const [acmeApi, globexApi] = await Promise.all([workloadApi(ACME_ID, pki.acme, pki.acmeRoot), workloadApi(GLOBEX_ID, pki.globex, pki.globexRoot)])
    const [a, g] = await Promise.all([startWith('acme', acmeApi), startWith('globex', globexApi)])
    await Promise.all([
      enrol(a, g, { bundle: bundles.globex, id: GLOBEX_ID }),
      enrol(g, a, { bundle: bundles.acme, id: ACME_ID })
    ])
    await waitConnected(a, g)

    const [la, lg] = await Promise.all([peerList(a.dir), peerList(g.dir)])
    expect(la[0]).to.include({ orgDid: g.orgDid, connected: true })
    expect(la[0].spiffe?.spiffeId).to.equal(GLOBEX_ID)
    expect(la[0].nodes).to.have.length(1)
    expect(la[0].nodes[0]).to.include({ peerId: g.peerId, spiffeVerified: true, spiffeId: GLOBEX_ID })
    expect(lg[0].nodes[0]).to.include({ peerId: a.peerId, spiffeVerified: true, spiffeId: ACME_ID })
    const human = await cli(a.dir, ['peer', 'list', '--wide'])
    expect(human.stdout).to.include(`verified ${GLOBEX_ID}`)
    expect(a.logs()).to.match(new RegExp(`peer verified peer=${g.peerId} .*spiffeId=${GLOBEX_ID}`))

    const [sa, sg] = await Promise.all([status(a.dir), status(g.dir)])
    const expires = new Date(pki.leafNotAfter).toISOString()
    expect(sa.spiffe).to.deep.equal({ state: 'ready', socket: acmeApi.address, spiffeId: ACME_ID, svidExpiresAt: expires })
    expect(sg.spiffe).to.include({ state: 'ready', spiffeId: GLOBEX_ID, svidExpiresAt: expires })
    expect(sa.connectedPeers[0]).to.include({ orgDid: g.orgDid, spiffeId: GLOBEX_ID })
    const humanStatus = await cli(g.dir, ['node', 'status'])
    expect(humanStatus.stdout).to.match(new RegExp(`SPIFFE ID:\\s+${GLOBEX_ID}`)).and.to.include(expires)
  })

  it('a rotated SVID is presented without a restart: refused under the old bundle, verified under the new one', async () => {
    const [acmeApi, globexApi] = await Promise.all([workloadApi(ACME_ID, pki.acme, pki.acmeRoot), workloadApi(GLOBEX_ID, pki.globex, pki.globexRoot)])
    const [a, g] = await Promise.all([startWith('acme', acmeApi), startWith('globex', globexApi)])
    await Promise.all([enrol(a, g, { bundle: bundles.globex, id: GLOBEX_ID }), enrol(g, a, { bundle: bundles.acme, id: ACME_ID })])
    await waitConnected(a, g)

    // globex's trust domain moves to a new CA; its Workload API pushes the new SVID to the running node
    globexApi.pushX509(x509Response(GLOBEX_ID, pki.globexRotated.der, pki.globexRotated.key, concat(pki.globexRoot.der, pki.globexRoot2.der)))
    const rotated = new Date(pki.rotatedNotAfter).toISOString()
    await waitUntil(async () => (await status(g.dir)).spiffe?.svidExpiresAt === rotated, CONNECT_TIMEOUT_MS, 'globex to pick up the rotated SVID')

    // a new hello: acme, still holding only the old root, refuses the new SVID
    expect((await cli(a.dir, ['peer', 'remove', g.orgDid])).code).to.equal(0)
    const from = a.logs().length
    await enrol(a, g, { bundle: bundles.globex, id: GLOBEX_ID })
    await expectRefused(a, g, 'SVID_UNKNOWN_ISSUER', from)

    // with globex's new root enrolled too, the same running nodes verify each other again
    await enrol(a, g, { bundle: bundles.globexBoth, id: GLOBEX_ID })
    await waitConnected(a, g)
    expect((await peerList(a.dir))[0].nodes[0]).to.include({ spiffeVerified: true, spiffeId: GLOBEX_ID })
  })

  it('a node without a Workload API of its own still requires and verifies its partner\'s SVID', async () => {
    const globexApi = await workloadApi(GLOBEX_ID, pki.globex, pki.globexRoot)
    const [a, g] = await Promise.all([startWith('acme'), startWith('globex', globexApi)])
    await Promise.all([enrol(a, g, { bundle: bundles.globex, id: GLOBEX_ID }), enrol(g, a)])
    await waitConnected(a, g)
    const [la, lg] = await Promise.all([peerList(a.dir), peerList(g.dir)])
    expect(la[0].nodes[0]).to.include({ spiffeVerified: true, spiffeId: GLOBEX_ID })
    expect(lg[0].nodes[0]).to.include({ spiffeVerified: false })
    expect((await status(a.dir)).spiffe, 'acme has no SPIFFE of its own and claims none').to.equal(undefined)
  })

  it('a partner enrolled with the wrong trust bundle is refused with the reason and never shows connected', async () => {
    const [acmeApi, globexApi] = await Promise.all([workloadApi(ACME_ID, pki.acme, pki.acmeRoot), workloadApi(GLOBEX_ID, pki.globex, pki.globexRoot)])
    const [a, g] = await Promise.all([startWith('acme', acmeApi), startWith('globex', globexApi)])
    // acme's own bundle given as globex's: globex's SVID has no path to it
    await Promise.all([enrol(a, g, { bundle: bundles.acme, id: GLOBEX_ID }), enrol(g, a, { bundle: bundles.acme, id: ACME_ID })])
    const line = await expectRefused(a, g, 'SVID_UNKNOWN_ISSUER')
    expect(line).to.include(`SVID of org ${g.orgDid} (expected ${GLOBEX_ID})`).and.to.include('globex.test bundle')
    expect((await cli(a.dir, ['peer', 'list', '--wide'])).stdout).to.include(`required ${GLOBEX_ID}`)
  })

  it('a partner enrolled with another expected SPIFFE ID is refused with the reason and never shows connected', async () => {
    const [acmeApi, globexApi] = await Promise.all([workloadApi(ACME_ID, pki.acme, pki.acmeRoot), workloadApi(GLOBEX_ID, pki.globex, pki.globexRoot)])
    const [a, g] = await Promise.all([startWith('acme', acmeApi), startWith('globex', globexApi)])
    const wanted = 'spiffe://globex.test/trustmesh/other-node'
    await Promise.all([enrol(a, g, { bundle: bundles.globex, id: wanted }), enrol(g, a, { bundle: bundles.acme, id: ACME_ID })])
    const line = await expectRefused(a, g, 'SVID_ID_MISMATCH')
    expect(line).to.include(wanted).and.to.include(GLOBEX_ID)
  })

  it('a forged SVID (right SPIFFE ID, impostor CA with the same name) is refused end to end', async () => {
    const [acmeApi, forgedApi] = await Promise.all([workloadApi(ACME_ID, pki.acme, pki.acmeRoot), workloadApi(GLOBEX_ID, pki.globexForged, pki.rogueRoot)])
    // the forger's node accepts its SVID against its own (rogue) bundle and presents it
    const [a, g] = await Promise.all([startWith('acme', acmeApi), startWith('globex', forgedApi)])
    await Promise.all([enrol(a, g, { bundle: bundles.globex, id: GLOBEX_ID }), enrol(g, a, { bundle: bundles.acme, id: ACME_ID })])
    const line = await expectRefused(a, g, 'SVID_UNKNOWN_ISSUER')
    expect(line).to.include(`no path from ${GLOBEX_ID} to a root of the globex.test bundle`)
  })

  it('a node whose Workload API serves only an expired SVID does not start, with one clear line', async () => {
    const api = await workloadApi(GLOBEX_ID, pki.globexExpired, pki.globexRoot)
    const dir = orgs.copy('globex')
    const r = await cli(dir, ['node', 'start', '--listen', LOOPBACK_LISTEN, '--no-mdns', '--spiffe-socket', api.address], { timeoutMs: START_FAILURE_TIMEOUT_MS })
    expect(r.code, r.stderr).to.equal(1)
    const errors = r.stderr.split('\n').filter(l => l.startsWith('trustmesh: '))
    expect(errors, r.stderr).to.have.length(1)
    expect(errors[0]).to.match(/^trustmesh: SPIFFE_UNAVAILABLE: SPIFFE is configured \(unix:\/\/.*\) but the node has no valid X509-SVID from it, so it does not start: .*SVID_EXPIRED/)
    expect(r.stderr).to.not.match(/node started|^\s+at /m)
    expect(api.calls.FetchX509SVID, 'the node did ask the Workload API').to.be.greaterThan(0)
  })

  it('a node with an unreachable (or malformed) --spiffe-socket exits non-zero with one clear line', async () => {
    const dir = orgs.copy('acme')
    const missing = `unix://${files}/no-agent.sock`
    const r = await cli(dir, ['node', 'start', '--listen', LOOPBACK_LISTEN, '--no-mdns', '--spiffe-socket', missing], { timeoutMs: START_FAILURE_TIMEOUT_MS })
    expect(r.code, r.stderr).to.equal(1)
    const errors = r.stderr.split('\n').filter(l => l.startsWith('trustmesh: '))
    expect(errors, r.stderr).to.have.length(1)
    expect(errors[0]).to.match(/^trustmesh: SPIFFE_UNAVAILABLE: SPIFFE is configured \(unix:\/\/.*no-agent\.sock\) but the node has no valid X509-SVID from it/)
    expect(r.stderr).to.not.match(/node started|^\s+at /m)

    const bad = await cli(dir, ['node', 'start', '--listen', LOOPBACK_LISTEN, '--no-mdns', '--spiffe-socket', 'http://127.0.0.1:1'], { timeoutMs: START_FAILURE_TIMEOUT_MS })
    expect(bad.code, bad.stderr).to.equal(1)
    expect(bad.stderr.split('\n').filter(l => l.startsWith('trustmesh: '))).to.have.length(1).and.to.satisfy((l: string[]) => l[0].startsWith('trustmesh: SPIFFE_BAD_ADDRESS'))
  })

  it('`peer add` refuses an unusable bundle or SPIFFE ID with a clear code and stores nothing', async () => {
    const a = await startWith('acme')
    const did = orgs.did('globex')
    const cases: Array<[string, string, RegExp]> = [
      [bundles.acmeLeaf, GLOBEX_ID, /INVALID_SPIFFE_BUNDLE: --spiffe-bundle: BUNDLE_NOT_CA/],
      [bundles.garbage, GLOBEX_ID, /INVALID_SPIFFE_BUNDLE: --spiffe-bundle: BUNDLE_MALFORMED/],
      [bundles.globex, 'spiffe://Globex.test/node', /INVALID_SPIFFE_ID: --spiffe-id: .*trust domain/],
      [bundles.globex, 'spiffe://globex.test', /INVALID_SPIFFE_ID: .*names a trust domain, not the partner's node/],
      [bundles.globex, 'https://globex.test/node', /INVALID_SPIFFE_ID/]
    ]
    for (const [bundle, id, want] of cases) {
      const r = await cli(a.dir, ['peer', 'add', did, '--spiffe-bundle', bundle, '--spiffe-id', id])
      expect(r.code, `${bundle} ${id}: ${r.stderr}`).to.equal(1)
      expect(r.stderr.trim().split('\n'), `${bundle} ${id}`).to.have.length(1)
      expect(r.stderr, `${bundle} ${id}`).to.match(want)
    }
    expect(await peerList(a.dir)).to.deep.equal([])
  })
})
