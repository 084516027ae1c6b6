/** `trustmesh audit export <dir>`: an evidence bundle (entries, proofs, checkpoint, cosignatures) for offline checks. */
import type { Command } from 'commander'
import { resolve } from 'node:path'
import { contextOf } from '../../context.js'
import { fields } from '../../output.js'
import { call } from '../../node-client.js'

interface ExportReply { dir: string, size: number, cosigners: Array<{ did: string, name: string }>, files: string[], cosignRequests: Array<{ did: string, ok: boolean, code?: string }> }

export function register (audit: Command): void {
  audit.command('export <dir>')
    .description('sign a fresh checkpoint, collect cosignatures and write an evidence bundle into <dir> (check it with: audit verify --bundle <dir>)')
    .action(async (dir: string, _o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      out.note('signing a checkpoint and asking peers to cosign it...')
      const r = await call<ExportReply>(dataDir, 'POST', '/v1/audit/export', { dir: resolve(dir) }, 60_000)
      out.result(r, () => fields([
        ['bundle', r.dir], ['entries', r.size], ['cosigned by', r.cosigners.length > 0 ? r.cosigners.map(c => c.did).join(', ') : 'nobody (no peer answered)'],
        ['files', r.files.join(', ')], ['check with', `trustmesh audit verify --bundle ${r.dir}`]
      ]))
    })
}
