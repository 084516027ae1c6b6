/**
 * Example agent processes for process tests (scripts/example-agent.js, an SDK agent with its own key)
 * and the policy most of those tests run under: partners may read records, nothing else. Each agent is
 * waited for until it serves; stopExampleAgents() kills every one still running (afterEach).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { waitUntil } from '../helpers/node-process.js'

const EXAMPLE_AGENT = fileURLToPath(new URL('../../scripts/example-agent.js', import.meta.url))

/** Deny by default; the org's own agents and partners' may read records (ring 3 or better). */
export function partnerReadPolicy (name: string): string {
  return `version: 1
name: ${name}
default: deny
rings:
  "*/read": 3
rules:
  - id: read-self-and-partners
    effect: allow
    match:
      ability: records/read
      callerOrg: [self, partner]
`
}

export interface ExampleAgent { proc: ChildProcess, output: () => string }

export interface ExampleAgentOptions {
  /** Abilities it serves (default records/read). */
  can?: string[]
  /** More arguments (--delay-ms, --forward-to, ...). */
  args?: string[]
  env?: NodeJS.ProcessEnv
  readyMs?: number
}

const running = new Set<ChildProcess>()

/** Start example agent `name` of the node in `dir` and wait until it serves. */
export async function startExampleAgent (dir: string, name: string, o: ExampleAgentOptions = {}): Promise<ExampleAgent> {
  const can = (o.can ?? ['records/read']).flatMap(a => ['--can', a])
  const proc = spawn(process.execPath, [EXAMPLE_AGENT, '--data-dir', dir, '--agent', name, ...can, ...(o.args ?? [])], {
    env: { ...process.env, ...o.env, TRUSTMESH_DATA_DIR: undefined }, stdio: ['ignore', 'pipe', 'pipe']
  })
  running.add(proc)
  proc.once('exit', () => { running.delete(proc) })
  let out = ''
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d })
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => { out += d })
  await waitUntil(() => {
    if (proc.exitCode != null) throw new Error(`example agent ${name} exited (${String(proc.exitCode)}): ${out}`)
    return out.includes('is serving')
  }, o.readyMs ?? 15_000, `example agent ${name} to serve`)
  return { proc, output: () => out }
}

/** Kill every example agent still running and wait for each to exit. */
export async function stopExampleAgents (): Promise<void> {
  await Promise.all([...running].map(async p => {
    if (p.exitCode != null || p.signalCode != null) return
    const done = new Promise(resolve => p.once('exit', resolve))
    p.kill('SIGKILL')
    await done
  }))
  running.clear()
}
