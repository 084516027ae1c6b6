/**
 * `trustmesh doctor [--json]`: checks the node's real posture: the policy loads, is default deny and
 * not allow-all; the swarm key and keys exist with owner-only modes; credentials are not near expiry;
 * and, with the node running, it listens and dials on the LAN only and its audit log verifies. Each
 * finding says what is wrong and how to fix it; exit code 1 if any check fails.
 */
import type { Command } from 'commander'
import { contextOf } from '../context.js'
import { EXIT_FAILED } from '../output.js'
import { nodeClient } from '../node-client.js'
import { runDoctor, type DoctorReport } from '../../node/doctor/index.js'
import { systemClock } from '../../identity/clock.js'

function status (f: DoctorReport['findings'][number]): string {
  if (f.skipped === true) return 'SKIP'
  if (f.ok) return 'ok'
  return f.severity === 'error' ? 'FAIL' : 'WARN'
}

function human (r: DoctorReport): string {
  const rows = r.findings.map(f => [status(f), f.id, f.message + (f.fix !== '' ? `\n      fix: ${f.fix}` : '')])
  const failed = r.findings.filter(f => !f.ok && f.severity === 'error').length
  const warned = r.findings.filter(f => !f.ok && f.severity === 'warning').length
  return [
    `${r.dataDir} (node ${r.nodeRunning ? 'running' : 'not running'})`,
    ...rows.map(([s, id, m]) => `${s.padEnd(4)}  ${id.padEnd(22)}  ${m}`),
    '',
    r.ok ? `doctor: no failed checks${warned > 0 ? ` (${warned} warning(s))` : ''}` : `doctor: ${failed} check(s) failed`
  ].join('\n')
}

export function register (program: Command): void {
  program.command('doctor')
    .description('check this node\'s security posture (policy, keys, swarm key, credentials, addresses, audit log); exit 1 if any check fails')
    .action(async (_o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const client = nodeClient(dataDir, 15_000)
      const report = await runDoctor({ dataDir, clock: systemClock, request: async <T>(method: string, path: string, body?: unknown) => await client.request<T>(method, path, body) })
      out.result(report, () => human(report))
      if (!report.ok) process.exitCode = EXIT_FAILED
    })
}
