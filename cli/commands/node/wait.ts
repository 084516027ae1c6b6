/**
 * `trustmesh node wait [--timeout 30s]`: return once the node of the data directory answers on its
 * control socket (its control API starts last, so an answer means every service is up). Polls, so a
 * script may run `node start &` and then `node wait` without a race: a socket not there yet, or one
 * left by a stopped node, is "not yet", not an error. Exit 1 when the timeout passes first.
 */
import type { Command } from 'commander'
import { contextOf, parseDuration } from '../../context.js'
import { CliError, UsageError } from '../../output.js'
import { nodeClient } from '../../node-client.js'

const POLL_MS = 100

interface Status { orgName: string, orgDid: string, peerId: string, listen: string[] }

export function register (node: Command): void {
  node.command('wait')
    .description('wait until the node answers on its control socket (for scripts: node start & node wait)')
    .option('--timeout <duration>', 'give up after this long (e.g. 30s, 2m)', '30s')
    .action(async (opts: { timeout: string }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      let timeoutMs: number
      try { timeoutMs = parseDuration(opts.timeout) * 1000 } catch (err) { throw new UsageError(`--timeout: ${(err as Error).message}`) }
      const deadline = Date.now() + timeoutMs
      let last = 'no answer yet'
      for (;;) {
        const left = deadline - Date.now()
        if (left <= 0) break
        try {
          const s = await nodeClient(dataDir, Math.max(200, Math.min(left, 2_000))).request<Status>('GET', '/v1/status')
          out.result({ ready: true, ...s }, () => `node of ${s.orgName} is up (${s.listen.join(', ')})`)
          return
        } catch (err) {
          last = (err as Error).message
        }
        await new Promise(resolve => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))))
      }
      throw new CliError(`NODE_NOT_READY: the node of ${dataDir} did not answer within ${opts.timeout} (${last})`, 1, 'NODE_NOT_READY')
    })
}
