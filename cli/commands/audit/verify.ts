/**
 * `trustmesh audit verify`: recompute the audit tree from the stored entries and check it against the
 * latest signed checkpoint and its cosignatures. With a running node the node does it (the CLI never
 * opens a store a node holds); with none it opens the store itself. `--bundle <dir>` checks an
 * evidence bundle on its own, on any machine, with no node and no data directory.
 */
import type { Command } from 'commander'
import { contextOf, intOption } from '../../context.js'
import { CliError, EXIT_FAILED, fields } from '../../output.js'
import { call } from '../../node-client.js'
import { verifyBundle } from '../../../audit/index.js'
import { AuditService, type TextLevel, type VerifyReport } from '../../../node/services/audit/audit-service.js'
import { openStore } from '../../../node/store/index.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { dataDirLayout } from '../../../node/data-dir.js'
import { readIdentityFile } from '../../../node/identity-file.js'
import { silentLogger } from '../../../identity/logger.js'
import { systemClock } from '../../../identity/clock.js'
import type { AuditStore } from '../../../audit/index.js'

interface Report extends VerifyReport { source: 'node' | 'store' | 'bundle', equivocationsSeen?: Array<{ origin: string, size: number }> }

async function verifyOffline (dataDir: string, minCosignatures?: number): Promise<Report> {
  const layout = dataDirLayout(dataDir)
  const identity = await readIdentityFile(layout.identity, dataDir)
  const store = await openStore(layout.root)
  try {
    const service = await AuditService.open({
      entries: store.sublevel(SUBLEVELS.auditEntries) as unknown as AuditStore,
      checkpoints: store.sublevel(SUBLEVELS.auditCheckpoints) as unknown as TextLevel,
      cosigners: store.sublevel(SUBLEVELS.auditCosignatures) as unknown as TextLevel,
      did: identity.nodeDid,
      clock: systemClock,
      logger: silentLogger('trustmesh:audit')
    })
    return { source: 'store', ...await service.verify(minCosignatures != null ? { minCosignatures } : {}) }
  } finally {
    await store.close()
  }
}

function human (r: Report): string {
  return fields([
    ['verdict', r.ok ? 'VALID' : 'INVALID'],
    ...(r.code != null ? [['code', r.code], ['reason', r.message]] as Array<[string, unknown]> : []),
    ['checked by', r.source],
    ['log', r.origin],
    ['entries', r.entries],
    ['checkpoint', r.checkpointSize != null ? `size ${r.checkpointSize}${r.root != null ? ` root ${r.root}` : ''}` : 'none'],
    ['cosigned by', r.cosigners.length > 0 ? r.cosigners.join(', ') : 'nobody yet'],
    ...(r.equivocationsSeen != null && r.equivocationsSeen.length > 0 ? [['EQUIVOCATION seen', r.equivocationsSeen.map(e => `${e.origin} at size ${e.size}`).join('; ')]] as Array<[string, unknown]> : [])
  ])
}

export function register (audit: Command): void {
  audit.command('verify')
    .description('recompute the audit tree and check it against the latest signed checkpoint and its cosignatures')
    .option('--bundle <dir>', 'verify an evidence bundle instead (offline, no node or data directory needed)')
    .option('--did <did>', 'with --bundle: require the log to be signed by this node DID')
    .option('--min-cosignatures <n>', 'require at least n valid cosignatures', intOption('--min-cosignatures', 0, 64))
    .action(async (opts: { bundle?: string, did?: string, minCosignatures?: number }, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      let report: Report
      if (opts.bundle != null) {
        const r = await verifyBundle(opts.bundle, { ...(opts.did != null ? { did: opts.did } : {}), ...(opts.minCosignatures != null ? { minCosignatures: opts.minCosignatures } : {}) })
        report = r.ok
          ? { source: 'bundle', ok: true, origin: r.value.checkpoint.origin, entries: r.value.entries, checkpointSize: r.value.checkpoint.size, root: Buffer.from(r.value.checkpoint.root).toString('base64'), cosigners: [...r.value.cosigners] }
          : { source: 'bundle', ok: false, code: r.error.code, message: r.error.message, origin: '-', entries: 0, cosigners: [] }
      } else {
        try {
          report = { ...await call<Report>(dataDir, 'POST', '/v1/audit/verify', opts.minCosignatures != null ? { minCosignatures: opts.minCosignatures } : {}, 60_000), source: 'node' }
        } catch (err) {
          if ((err as { code?: string }).code !== 'NODE_NOT_RUNNING') throw err
          try {
            report = await verifyOffline(dataDir, opts.minCosignatures)
          } catch (e) {
            throw new CliError(`cannot open the store in ${dataDir}: ${(e as Error).message}`, EXIT_FAILED, (e as { code?: string }).code)
          }
        }
      }
      out.result(report, () => human(report))
      if (!report.ok || (report.equivocationsSeen?.length ?? 0) > 0) process.exitCode = EXIT_FAILED
    })
}
