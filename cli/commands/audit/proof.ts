/** `trustmesh audit proof <entry>`: an entry (by number or subject) with its inclusion proof, checked here. */
import type { Command } from 'commander'
import { contextOf } from '../../context.js'
import { EXIT_FAILED, fields } from '../../output.js'
import { call } from '../../node-client.js'
import { encodeEntry, hashLeaf, verifyInclusion, verifySignedCheckpoint, type AuditEntry } from '../../../audit/index.js'

interface ProofReply { origin: string, entry: AuditEntry, index: number, size: number, proof: string[], checkpoint: string }

export function register (audit: Command): void {
  audit.command('proof <entry>')
    .description('inclusion proof of an audit entry (its number, or a subject such as a task CID) in the latest checkpoint')
    .action(async (entry: string, _o: unknown, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const r = await call<ProofReply>(dataDir, 'GET', `/v1/audit/proof/${encodeURIComponent(entry)}`)
      // checked here too: the proof must lead from this entry's bytes to the root the node signed
      const signed = verifySignedCheckpoint(r.checkpoint, { origin: r.origin })
      const leaf = hashLeaf(encodeEntry(r.entry))
      const verified = signed.ok && signed.value.checkpoint.size === r.size &&
        verifyInclusion(leaf, r.index, r.size, r.proof.map(h => new Uint8Array(Buffer.from(h, 'base64'))), signed.value.checkpoint.root)
      out.result({ ...r, verified }, () => fields([
        ['entry', r.index], ['kind', r.entry.kind], ['subject', r.entry.subject], ['reason', r.entry.reason], ['time', new Date(r.entry.time).toISOString()],
        ['details', r.entry.details], ['tree size', r.size], ['proof', r.proof.join(' ')], ['verified', verified ? 'yes (signed checkpoint, inclusion proof)' : 'NO']
      ]) + '\n\n' + r.checkpoint)
      if (!verified) process.exitCode = EXIT_FAILED
    })
}
