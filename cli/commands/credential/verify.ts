/** `trustmesh credential verify <jwt|file>`: verdict and reason code for an Agent or Node credential. */
import type { Command } from 'commander'
import { readRegularFile } from '../../../identity/regular-file.js'
import { contextOf } from '../../context.js'
import { CliError, EXIT_FAILED, fields } from '../../output.js'
import { verifyCredential } from '../../../identity/credentials.js'
import { systemClock } from '../../../identity/clock.js'

async function readToken (arg: string): Promise<string> {
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(arg.trim())) return arg.trim()
  try {
    return (await readRegularFile(arg)).trim()
  } catch {
    throw new CliError(`${JSON.stringify(arg.slice(0, 80))} is neither a JWT nor a readable file`, 2, 'USAGE')
  }
}

export function register (credential: Command): void {
  credential.command('verify <jwt-or-file>')
    .description('verify an AgentCredential or NodeCredential (signature, EdDSA only, expiry, claims)')
    .option('--issuer <did>', 'require this issuing org DID')
    .action(async (arg: string, opts: { issuer?: string }, cmd: Command) => {
      const { out } = contextOf(cmd)
      const jwt = await readToken(arg)
      const r = verifyCredential(jwt, { clock: systemClock, ...(opts.issuer != null ? { expectedIssuer: opts.issuer } : {}) })
      if (r.ok) {
        const v = r.value
        out.result({ valid: true, type: v.type, issuer: v.issuer, subject: v.subject, expiresAt: new Date(v.expiresAt * 1000).toISOString() }, () => fields([
          ['verdict', 'VALID'],
          ['type', v.type],
          ['issuer', v.issuer],
          ['subject', v.subject.id],
          ['expires', new Date(v.expiresAt * 1000).toISOString()],
          ...(v.type === 'AgentCredential' ? [['ring', v.subject.ring], ['capabilities', v.subject.capabilities.join(', ')]] as Array<[string, unknown]> : [])
        ]))
        return
      }
      out.result({ valid: false, code: r.error.code, reason: r.error.message }, () => fields([['verdict', 'INVALID'], ['code', r.error.code], ['reason', r.error.message]]))
      process.exitCode = EXIT_FAILED
    })
}
