/**
 * The node as a service (DESIGN.md section 15): `node start &` then `node wait` never races; a busy
 * port is named; `<data-dir>/config.yaml` sets what flags set (flags override) and a bad key is named
 * by start and doctor; `--log-json` writes JSON lines only; `init --swarm-key` names a missing file;
 * `npm start` runs no compiler and the node is the process that receives SIGTERM.
 */
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:net'
import { writeFileSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CLI_MAIN, TEST_PASSPHRASE, cli, removeDir, startNode, stopAllNodes, tempDir, waitUntil } from '../helpers/node-process.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

function run (cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): { done: Promise<{ code: number | null, out: string }>, pid: number | undefined, kill: (s: NodeJS.Signals) => void } {
  const p = spawn(cmd, args, { env: { ...process.env, TRUSTMESH_PASSPHRASE: TEST_PASSPHRASE, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd != null ? { cwd } : {}) })
  let out = ''
  p.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  p.stderr.setEncoding('utf8').on('data', (d: string) => { out += d })
  return { done: new Promise(resolve => p.once('exit', (code) => { resolve({ code, out }) })), pid: p.pid, kill: (s) => { p.kill(s) } }
}

describe('the node as a service', function () {
  this.timeout(60_000)
  const dirs: string[] = []
  const dir = (): string => { const d = tempDir('svc'); dirs.push(d); return d }
  let blocker: Server | undefined
  afterEach(async () => {
    await stopAllNodes()
    blocker?.close()
    blocker = undefined
    for (const d of dirs.splice(0)) removeDir(d)
  })

  it('a script that runs `node start &` then `node wait` uses the node at once', async () => {
    const d = dir()
    const script = `
      set -e
      node ${CLI_MAIN} --data-dir ${d} node start --listen /ip4/127.0.0.1/tcp/0 --no-mdns --org-name acme > ${d}.log 2>&1 &
      PID=$!
      node ${CLI_MAIN} --data-dir ${d} node wait --timeout 40s
      node ${CLI_MAIN} --data-dir ${d} --json node status > ${d}.status
      kill -TERM $PID
      wait $PID
    `
    const r = await run('bash', ['-c', script], {}).done
    expect(r.code, r.out).to.equal(0)
    const status = JSON.parse(readFileSync(`${d}.status`, 'utf8')) as { orgName: string }
    expect(status.orgName).to.equal('acme')
    removeDir(`${d}.log`); removeDir(`${d}.status`)
  })

  it('`node wait` with no node gives up after its timeout with exit 1', async () => {
    const r = await cli(dir(), ['node', 'wait', '--timeout', '1s'])
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('NODE_NOT_READY')
  })

  it('a busy port is named', async () => {
    blocker = createServer()
    await new Promise<void>(resolve => blocker?.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    const d = dir()
    const r = await cli(d, ['node', 'start', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--no-mdns'], { timeoutMs: 30_000 })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain(`ADDRESS_IN_USE: /ip4/127.0.0.1/tcp/${port} is already in use`)
    expect(r.stderr).to.not.contain('faultTolerance')
  })

  it('config.yaml sets what flags set, flags override it, and --log-json output is JSON only', async () => {
    const d = dir()
    expect((await cli(d, ['init', '--org-name', 'acme'])).code).to.equal(0)
    writeFileSync(`${d}/config.yaml`, 'listen: [/ip4/127.0.0.1/tcp/0]\nmdns: false\nlogJson: true\nlogLevel: info\n')
    const n = await startNode(d, { extraArgs: [] , listen: '/ip4/127.0.0.1/tcp/0' })
    await n.stop()
    const lines = n.logs().split('\n').filter(l => l.trim() !== '')
    expect(lines.length).to.be.greaterThan(2)
    for (const l of lines) expect(() => JSON.parse(l), l).to.not.throw()
    expect(lines.map(l => (JSON.parse(l) as { msg: string }).msg)).to.include('running')

    // a flag overrides the file
    const m = await startNode(d, { extraArgs: ['--log-level', 'warn'] })
    await m.stop()
    expect(m.logs().split('\n').filter(l => l.includes('"level":"info"'))).to.deep.equal([])
  })

  it('an unknown config key is named by node start and by doctor', async () => {
    const d = dir()
    expect((await cli(d, ['init', '--org-name', 'acme'])).code).to.equal(0)
    writeFileSync(`${d}/config.yaml`, 'listen: [/ip4/127.0.0.1/tcp/0]\nmdsn: false\n')
    const r = await cli(d, ['node', 'start'])
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain(`${d}/config.yaml: mdsn: unknown setting`)
    const doc = await cli(d, ['--json', 'doctor'])
    const f = doc.json<{ findings: Array<{ id: string, ok: boolean, message: string }> }>().findings.find(x => x.id === 'config.file')
    expect(f?.ok).to.equal(false)
    expect(f?.message).to.contain('mdsn')
  })

  it('init --swarm-key names a file it cannot read', async () => {
    const r = await cli(dir(), ['init', '--swarm-key', '/nonexistent/swarm.key'])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.contain('cannot read /nonexistent/swarm.key: no such file')
  })

  it('npm start runs no compiler, and SIGTERM to npm stops the node', async () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { scripts: Record<string, string> }
    expect(pkg.scripts.start).to.not.match(/tsc|build/)
    expect(pkg.scripts.prepare).to.contain('tsc')
    const d = dir()
    const npm = run('npm', ['start', '--silent', '--', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'], { TRUSTMESH_DATA_DIR: d }, ROOT)
    const w = await cli(d, ['node', 'wait', '--timeout', '40s'])
    expect(w.code, w.stderr).to.equal(0)
    npm.kill('SIGTERM')
    const r = await npm.done
    await waitUntil(async () => (await cli(d, ['node', 'wait', '--timeout', '1s'])).code === 1, 15_000, 'the node to stop with npm')
    expect(r.out).to.not.contain('tsc')
  })
})
