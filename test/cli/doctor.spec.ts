/**
 * `trustmesh doctor` on real data directories: passes on a freshly initialised one with the default
 * policy; fails (exit 1, naming the check and the fix) with an allow-all policy, a swarm key readable
 * by others, or no swarm key; with the node running it checks the live posture too. Plus the pure
 * pieces (address scopes, probes) as tables.
 */
import { expect } from 'chai'
import { chmodSync, cpSync, rmSync, writeFileSync } from 'node:fs'
import { initOrganisation } from '../../node/init-org.js'
import { systemClock } from '../../identity/clock.js'
import { multiaddrScope, isLanScope } from '../../node/doctor/index.js'
import { checkListenAddresses, checkPeerAddresses, checkAudit } from '../../node/doctor/checks.js'
import { cli, registerAgent, startNode, stopAllNodes, tempDir, removeDir } from '../helpers/node-process.js'

interface Report { ok: boolean, nodeRunning: boolean, findings: Array<{ id: string, ok: boolean, severity: string, skipped?: boolean, message: string, fix: string }> }

const ALLOW_ALL = `version: 1
name: allow-all
default: deny
rings:
  "*": 3
rules:
  - id: everything
    effect: allow
    match: {}
`

describe('trustmesh doctor', function () {
  this.timeout(60_000)
  let template: string
  const dirs: string[] = []

  before(async () => {
    template = tempDir('tmdoc')
    await initOrganisation({ dataDir: template, orgName: 'acme', clock: systemClock, scryptN: 1024, passphrase: 'trustmesh-test-passphrase' })
  })
  after(() => { removeDir(template) })
  afterEach(async () => {
    await stopAllNodes()
    for (const d of dirs.splice(0)) removeDir(d)
  })

  function fresh (): string {
    const d = tempDir('tmd')
    cpSync(template, d, { recursive: true })
    dirs.push(d)
    return d
  }

  async function doctor (dir: string, withHuman = true): Promise<{ code: number | null, report: Report, human: string }> {
    const [j, h] = await Promise.all([cli(dir, ['--json', 'doctor']), withHuman ? cli(dir, ['doctor']) : undefined])
    if (h != null) expect(h.code, 'human and --json agree on the exit code').to.equal(j.code)
    return { code: j.code, report: j.json<Report>(), human: h?.stdout ?? '' }
  }

  const finding = (r: Report, id: string): Report['findings'][number] => {
    const f = r.findings.find(x => x.id === id)
    if (f == null) throw new Error(`no finding ${id} in ${JSON.stringify(r.findings.map(x => x.id))}`)
    return f
  }

  it('passes on a freshly initialised data directory with the default policy (offline checks; live ones skipped, not passed)', async () => {
    const { code, report, human } = await doctor(fresh())
    expect(code, human).to.equal(0)
    expect(report.ok).to.equal(true)
    for (const id of ['identity', 'policy.loaded', 'policy.default-deny', 'policy.not-allow-all', 'swarm-key', 'swarm-key.mode', 'keys.mode', 'keys.file-modes', 'credential.node']) {
      expect(finding(report, id).ok, `${id}: ${finding(report, id).message}`).to.equal(true)
    }
    expect(report.nodeRunning).to.equal(false)
    for (const id of ['network.listen', 'audit.verify', 'clock.peers']) {
      expect(finding(report, id)).to.include({ ok: false, skipped: true })
      expect(finding(report, id).message).to.match(/^skipped: /)
    }
    expect(human).to.match(/SKIP\s+audit\.verify\s+skipped: the node is not running/)
  })

  it('a generated passphrase file beside the keys is a warning, not a failure', async () => {
    const d = fresh()
    writeFileSync(`${d}/passphrase`, 'x\n', { mode: 0o600 })
    const { code, report } = await doctor(d, false)
    expect(code).to.equal(0)
    expect(finding(report, 'keys.passphrase')).to.include({ ok: false, severity: 'warning' })
  })

  it('fails with an allow-all policy, naming the check and the fix', async () => {
    const d = fresh()
    writeFileSync(`${d}/policy.yaml`, ALLOW_ALL)
    const { code, report, human } = await doctor(d)
    expect(code).to.equal(1)
    const f = finding(report, 'policy.not-allow-all')
    expect(f).to.include({ ok: false, severity: 'error' })
    expect(f.message).to.include("rule 'everything'")
    expect(f.message).to.include('unmapped write from an unknown org')
    expect(f.fix).to.match(/allow only named abilities/)
    expect(human).to.match(/FAIL\s+policy\.not-allow-all/)
    expect(human).to.include('fix: allow only named abilities')
    expect(human).to.match(/doctor: \d+ check\(s\) failed/)
  })

  it('fails with a swarm key readable by others (0644), saying chmod 0600', async () => {
    const d = fresh()
    chmodSync(`${d}/swarm.key`, 0o644)
    const { code, report, human } = await doctor(d)
    expect(code).to.equal(1)
    expect(finding(report, 'swarm-key')).to.include({ ok: true })
    const f = finding(report, 'swarm-key.mode')
    expect(f).to.include({ ok: false, severity: 'error' })
    expect(f.message).to.include('0644')
    expect(f.fix).to.equal(`chmod 0600 ${d}/swarm.key`)
    expect(human).to.match(/FAIL\s+swarm-key\.mode/)
  })

  it('fails with a missing swarm key', async () => {
    const d = fresh()
    rmSync(`${d}/swarm.key`)
    const { code, report } = await doctor(d, false)
    expect(code).to.equal(1)
    const f = finding(report, 'swarm-key')
    expect(f).to.include({ ok: false, severity: 'error' })
    expect(f.message).to.include('missing')
    expect(f.fix).to.include('swarm key')
  })

  it('fails with a key file readable by others and a policy that does not load', async () => {
    const d = fresh()
    chmodSync(`${d}/keys`, 0o755)
    writeFileSync(`${d}/policy.yaml`, 'version: 1\nname: x\ndefault: allow\n')
    const { code, report } = await doctor(d, false)
    expect(code).to.equal(1)
    expect(finding(report, 'keys.mode')).to.include({ ok: false, severity: 'error' })
    expect(finding(report, 'policy.loaded')).to.include({ ok: false, severity: 'error' })
    expect(finding(report, 'policy.loaded').message).to.include('POLICY_SCHEMA_ERROR')
    expect(finding(report, 'policy.not-allow-all')).to.include({ skipped: true })
  })

  it('with the node running, checks its listen and partner addresses and its audit log', async () => {
    const d = fresh()
    await startNode(d)
    await registerAgent(d, { name: 'alice', ring: 3, capabilities: ['records/read'] })
    const { code, report, human } = await doctor(d)
    expect(report.nodeRunning).to.equal(true)
    // agent credential expiry: alice's fresh 30-day credential is outside the renewal window, named as the earliest
    expect(finding(report, 'credential.agents')).to.include({ ok: true })
    expect(finding(report, 'credential.agents').message).to.match(/1 agent credential\(s\).*earliest expiry alice at \d{4}-/)
    expect(human).to.match(/credential\.agents/)
    expect(finding(report, 'network.listen'), human).to.include({ ok: true })
    expect(finding(report, 'network.peers')).to.include({ ok: true })
    expect(finding(report, 'policy.running')).to.include({ ok: true })
    const audit = finding(report, 'audit.verify')
    // the audit API answers on this node: verified (pass or "not cosigned yet" warning), never skipped
    expect(audit.skipped, audit.message).to.not.equal(true)
    expect(audit.severity, audit.message).to.not.equal('error')
    expect(finding(report, 'clock.peers')).to.include({ skipped: true })
    expect(code, human).to.equal(0)
  })

  describe('pure checks', () => {
    it('address scopes: loopback, RFC 1918, link-local and ULA are LAN; public and DNS are not', () => {
      const table: Array<[string, boolean]> = [
        ['/ip4/127.0.0.1/tcp/1', true], ['/ip4/10.1.2.3/tcp/1', true], ['/ip4/172.16.0.1/tcp/1', true], ['/ip4/172.32.0.1/tcp/1', false],
        ['/ip4/192.168.1.1/tcp/1', true], ['/ip4/169.254.1.1/tcp/1', true], ['/ip4/8.8.8.8/tcp/1', false], ['/ip4/0.0.0.0/tcp/1', false],
        ['/ip6/::1/tcp/1', true], ['/ip6/fd00::1/tcp/1', true], ['/ip6/fe80::1/tcp/1', true], ['/ip6/2001:db8::1/tcp/1', false],
        ['/dns4/example.com/tcp/1', false], ['/ip6/::ffff:10.0.0.1/tcp/1', true]
      ]
      for (const [ma, lan] of table) expect(isLanScope(multiaddrScope(ma)), ma).to.equal(lan)
    })

    it('a public listen or partner address fails; an unavailable audit API is skipped, never passed', () => {
      expect(checkListenAddresses({ listen: ['/ip4/127.0.0.1/tcp/1', '/ip4/203.0.113.5/tcp/1'], policyDigest: '', startedAt: '', uptimeSeconds: 0 })).to.include({ ok: false, severity: 'error' })
      expect(checkPeerAddresses([{ orgDid: 'did:key:x', addrs: ['/ip4/198.51.100.7/tcp/7420'] }])).to.include({ ok: false, severity: 'error' })
      expect(checkAudit({ unavailable: 'audit API not available' })).to.include({ ok: false, skipped: true })
      expect(checkAudit({ ok: false, code: 'ROOT_MISMATCH', message: 'x', entries: 3, cosigners: [] })).to.include({ ok: false, severity: 'error' })
    })
  })
})
