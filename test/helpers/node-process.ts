/**
 * Real trustmesh node processes for multi-process tests: `initOrg` runs `trustmesh init`, `startNode`
 * runs `trustmesh node start` and waits until its control socket answers, `cli` runs one CLI command.
 * The CLI is the one compiled in the same tree as this file, so tests work from `.build/*` and `dist/`.
 * Every started process is tracked; `stopAllNodes()` (in afterEach) kills whatever is still running.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createClient } from '../../client/control-client.js'
import { DEFAULT_DIAL_TIMEOUT_MS, RECONNECT_WITHIN_MS } from '../../node/mesh/mesh.js'
import { HELLO_TIMEOUT_MS } from '../../protocols/hello/messages.js'

/**
 * Waits of the process tests come from what the product promises, not from a quiet machine's timing.
 * A busy 2-core machine may lose one attempt (a dial or a hello that times out under load), so a wait
 * allows the promise twice; TRUSTMESH_TEST_SLACK multiplies that further on a slower machine.
 */
const SLACK = Math.max(1, Number(process.env.TRUSTMESH_TEST_SLACK ?? '1') || 1)
export const PROMISES = {
  /** A partner that is reachable is connected and verified within this (node/mesh/mesh.ts). */
  reconnectMs: 2 * RECONNECT_WITHIN_MS * SLACK,
  /** One dial, refused or not, ends within this (the dial timeout). */
  dialMs: DEFAULT_DIAL_TIMEOUT_MS,
  /** A connection that cannot complete hello is closed within this. */
  helloMs: 2 * (DEFAULT_DIAL_TIMEOUT_MS + HELLO_TIMEOUT_MS) * SLACK
} as const
import { createAgent, type Agent } from '../../client/agent.js'
import { generateAgentKeyFile } from '../../identity/agent-key.js'
import { issueAcceptance } from '../../identity/agent-acceptance.js'

/** The compiled CLI entry point beside this helper. */
export const CLI_MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url))
export const TEST_PASSPHRASE = 'trustmesh-test-passphrase'
export const LOOPBACK_LISTEN = '/ip4/127.0.0.1/tcp/0'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  /** stdout parsed as JSON (throws with the output when it is not JSON). */
  json: <T = unknown>() => T
}

export interface StartOptions {
  /** Listen multiaddr; default loopback on a free port. */
  listen?: string
  /** Static peers (`--peer`). */
  peers?: string[]
  /** Discovery by mDNS (default off in tests). */
  mdns?: boolean
  extraArgs?: string[]
  env?: NodeJS.ProcessEnv
  /** Command prefix (e.g. `['nsenter', '-t', pid, '-n']`); the node runs as `prefix... node cli ...`. */
  wrap?: string[]
  readyTimeoutMs?: number
}

export interface NodeProcess {
  proc: ChildProcess
  dir: string
  orgDid: string
  orgName: string
  peerId: string
  /** First listen address, with `/p2p/<peerId>`. */
  addr: string
  port: number
  /** stdout and stderr of the process so far. */
  logs: () => string
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** Send `signal` (default SIGTERM) and wait for exit; SIGKILL after `timeoutMs`. */
  stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

interface NodeStatus { orgDid: string, orgName: string, peerId: string, listen: string[], connectedPeers: Array<{ orgDid: string, peerId: string }> }

const running = new Set<ChildProcess>()

function baseEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TRUSTMESH_PASSPHRASE: TEST_PASSPHRASE, ...extra }
  delete env.TRUSTMESH_DATA_DIR
  if (extra.NODE_OPTIONS == null) delete env.NODE_OPTIONS
  return env
}

function trackExit (proc: ChildProcess): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  return new Promise(resolve => {
    if (proc.exitCode != null || proc.signalCode != null) { resolve({ code: proc.exitCode, signal: proc.signalCode }); return }
    proc.once('exit', (code, signal) => { running.delete(proc); resolve({ code, signal }) })
  })
}

/** A short temp dir under /tmp (the control socket path must stay under 107 bytes). */
export function tempDir (prefix = 'tm'): string {
  return mkdtempSync(`/tmp/${prefix}-`)
}

export function removeDir (dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** Run one CLI command against `dir` and collect its output. */
export async function cli (dir: string | undefined, args: string[], options: { env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<CliResult> {
  const argv = [CLI_MAIN, ...(dir != null ? ['--data-dir', dir] : []), ...args]
  const proc = spawn(process.execPath, argv, { env: baseEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(proc)
  let stdout = ''
  let stderr = ''
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const timer = setTimeout(() => { proc.kill('SIGKILL') }, options.timeoutMs ?? 20_000)
  const { code } = await trackExit(proc)
  clearTimeout(timer)
  await new Promise(resolve => setImmediate(resolve))
  return {
    code,
    stdout,
    stderr,
    json: <T>() => {
      try {
        return JSON.parse(stdout) as T
      } catch {
        throw new Error(`trustmesh ${args.join(' ')} did not print JSON (exit ${String(code)}): ${stdout} ${stderr}`)
      }
    }
  }
}

/** `trustmesh init` in `dir`; with `swarmKeyFrom`, join the mesh of that data directory. */
export async function initOrg (dir: string, orgName: string, options: { swarmKeyFrom?: string } = {}): Promise<{ orgDid: string, peerId: string }> {
  const args = ['--json', 'init', '--org-name', orgName]
  if (options.swarmKeyFrom != null) args.push('--swarm-key', `${options.swarmKeyFrom}/swarm.key`)
  const r = await cli(dir, args)
  if (r.code !== 0) throw new Error(`trustmesh init failed (exit ${String(r.code)}): ${r.stderr}`)
  return r.json<{ orgDid: string, peerId: string }>()
}

/** GET /v1/status of the node in `dir`, or undefined while it does not answer. */
export async function nodeStatus (dir: string, timeoutMs = 2_000): Promise<NodeStatus | undefined> {
  try {
    return await createClient({ dataDir: dir, timeoutMs }).request<NodeStatus>('GET', '/v1/status')
  } catch {
    return undefined
  }
}

/** Poll `check` until true or the deadline passes (no fixed sleeps). */
export async function waitUntil (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** Start `trustmesh node start` on `dir` and wait until its control API answers. */
export async function startNode (dir: string, options: StartOptions = {}): Promise<NodeProcess> {
  const args = [CLI_MAIN, '--data-dir', dir, 'node', 'start', '--listen', options.listen ?? LOOPBACK_LISTEN]
  for (const p of options.peers ?? []) args.push('--peer', p)
  if (options.mdns !== true) args.push('--no-mdns')
  args.push(...(options.extraArgs ?? []))
  const [cmd, ...argv] = [...(options.wrap ?? []), process.execPath, ...args]
  const proc = spawn(cmd, argv, { env: baseEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(proc)
  let output = ''
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => { output += d })
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => { output += d })
  const exited = trackExit(proc)
  let exitedEarly = false
  void exited.then(() => { exitedEarly = true })
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<{ code: number | null, signal: NodeJS.Signals | null }> => {
    if (proc.exitCode == null && proc.signalCode == null) proc.kill(signal)
    const timer = setTimeout(() => { proc.kill('SIGKILL') }, timeoutMs)
    const r = await exited
    clearTimeout(timer)
    return r
  }
  let status: NodeStatus | undefined
  try {
    await waitUntil(async () => {
      if (exitedEarly) throw new Error(`node in ${dir} exited before it was ready (code ${String(proc.exitCode)}): ${output}`)
      status = await nodeStatus(dir)
      return status != null && status.listen.length > 0
    }, options.readyTimeoutMs ?? 30_000, `the node in ${dir} to answer on its control socket`)
  } catch (err) {
    await stop('SIGKILL')
    throw err
  }
  const s = status as NodeStatus
  const addr = s.listen.find(a => a.startsWith('/ip4/127.0.0.1/')) ?? s.listen[0]
  return {
    proc,
    dir,
    orgDid: s.orgDid,
    orgName: s.orgName,
    peerId: s.peerId,
    addr: addr.includes('/p2p/') ? addr : `${addr}/p2p/${s.peerId}`,
    port: Number(addr.split('/tcp/')[1].split('/')[0]),
    logs: () => output,
    exited,
    stop
  }
}

/** Org DIDs this node has a verified connection to (from its status). */
export async function connectedOrgs (dir: string): Promise<string[]> {
  return (await nodeStatus(dir))?.connectedPeers.map(p => p.orgDid) ?? []
}

/** The key file an agent of `dir` keeps in these tests (as `agent create` writes it). */
export function agentKeyPath (dir: string, name: string): string {
  return `${dir}/agents/${name}.key`
}

/**
 * Register an agent on the operator API the way an operator does with a key made elsewhere: the
 * key is generated here (the agent's file), only its DID goes to the node.
 */
export async function registerAgent (dir: string, body: { name: string, ring: number, capabilities: string[], ttlSeconds?: number }): Promise<{ did: string, name: string, keyFile: string }> {
  const keyFile = agentKeyPath(dir, body.name)
  const signer = await generateAgentKeyFile(keyFile)
  const client = createClient({ dataDir: dir })
  const r = await client.request<{ did: string, name: string, credential: string }>('POST', '/v1/agents', { ...body, did: signer.did })
  // the key is here: the agent countersigns its credential at once, as `agent create` does, so partners can bind it
  const org = (await client.request<{ orgDid: string }>('GET', '/v1/status')).orgDid
  const acceptance = await issueAcceptance(signer, r.credential, org, Math.floor(Date.now() / 1000))
  await client.request('POST', `/v1/agents/${encodeURIComponent(body.name)}/acceptance`, { acceptance })
  return { did: r.did, name: r.name, keyFile }
}

const sdkAgents = new Map<string, Promise<Agent>>()

/** The SDK agent `name` of `dir`, with its key file (connected once per test, closed by stopAllNodes). */
export async function agentOf (dir: string, name: string, keyFile = agentKeyPath(dir, name)): Promise<Agent> {
  const k = `${dir}\0${name}\0${keyFile}`
  let a = sdkAgents.get(k)
  if (a == null) {
    a = createAgent({ dataDir: dir, key: keyFile, acceptCheckMs: 0 })
    sdkAgents.set(k, a)
    a.catch(() => { sdkAgents.delete(k) })
  }
  return await a
}

/** Kill every process this helper started that is still running (afterEach; also on failure). */
export async function stopAllNodes (): Promise<void> {
  const agents = [...sdkAgents.values()]
  sdkAgents.clear()
  await Promise.all(agents.map(async a => { await (await a.catch(() => undefined))?.close() }))
  const procs = [...running]
  running.clear()
  await Promise.all(procs.map(async p => {
    if (p.exitCode != null || p.signalCode != null) return
    const done = new Promise(resolve => p.once('exit', resolve))
    p.kill('SIGKILL')
    await done
  }))
}

process.once('exit', () => { for (const p of running) p.kill('SIGKILL') })
