/**
 * Renews the node's NodeCredential while the node runs: a timer checks its expiry and, once less
 * than `renewBeforeSeconds` is left (or it outlives the configured lifetime), the org key issues a
 * fresh one, it is written to the data directory, presented in every later hello, and pushed to
 * connected partners by running hello again on their connections, so their hello state follows
 * without a reconnect.
 */
import { chmod, rename, writeFile } from 'node:fs/promises'
import { nowSeconds } from '../../../identity/clock.js'
import { issueNodeCredential, verifyNodeCredential } from '../../../identity/credentials.js'
import type { Components, Service } from '../../components.js'
import { readRegularFile } from '../../../identity/regular-file.js'

export const CREDENTIALS_DEPENDENCIES = ['clock', 'logger', 'identity', 'orgSigner', 'layout', 'mesh'] as const
type Ctx = Pick<Components, typeof CREDENTIALS_DEPENDENCIES[number]>

export const CREDENTIAL_RENEW_BEFORE_SECONDS = 7 * 24 * 3600
export const CREDENTIAL_CHECK_INTERVAL_MS = 3600_000

export interface CredentialRenewalOptions {
  ttlSeconds: number
  renewBeforeSeconds: number
  checkIntervalMs: number
}

/** The NodeCredential the node presents; the renewal service replaces it. */
export interface NodeCredentialHolder {
  get: () => string
  set: (jwt: string) => void
}

export interface CredentialRenewalService extends Service {
  /** Renew now if due (or always with `force`); true when a new credential was issued. */
  renewIfDue: (options?: { force?: boolean, reason?: string }) => Promise<boolean>
}

/** Why the credential must be replaced, or undefined while it is good. */
function renewalReason (ctx: Ctx, jwt: string, o: CredentialRenewalOptions): string | undefined {
  const v = verifyNodeCredential(jwt, { clock: ctx.clock, expectedIssuer: ctx.identity.orgDid })
  if (!v.ok) return v.error.code
  if (v.value.subject.id !== ctx.identity.peerId) return 'OTHER_PEER_ID'
  const left = v.value.expiresAt - nowSeconds(ctx.clock)
  if (left <= o.renewBeforeSeconds) return 'NEAR_EXPIRY'
  // the lifetime was shortened: the long one is replaced at once
  if (left > o.ttlSeconds + 60) return 'LIFETIME_SHORTENED'
  return undefined
}

/** The credential on disk, renewed first if it is missing, invalid or due (the node's start). */
export async function currentNodeCredential (ctx: Omit<Ctx, 'mesh'>, o: CredentialRenewalOptions): Promise<string> {
  const jwt = (await readRegularFile(ctx.layout.nodeCredential).catch(() => '')).trim()
  const reason = renewalReason(ctx as Ctx, jwt, o)
  if (reason == null) return jwt
  return await issueAndStore(ctx, o, reason)
}

async function issueAndStore (ctx: Omit<Ctx, 'mesh'>, o: CredentialRenewalOptions, reason: string): Promise<string> {
  // after a node key rotation the credential names the earlier PeerIds, which partners then refuse
  const replaces = (ctx.identity.previousPeerIds ?? []).filter(p => p !== ctx.identity.peerId)
  const jwt = await issueNodeCredential(ctx.orgSigner, { peerId: ctx.identity.peerId, orgName: ctx.identity.orgName, ...(replaces.length > 0 ? { replaces } : {}) }, { clock: ctx.clock, ttlSeconds: o.ttlSeconds })
  const tmp = `${ctx.layout.nodeCredential}.tmp`
  await writeFile(tmp, jwt + '\n', { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, ctx.layout.nodeCredential)
  ctx.logger.info('NodeCredential renewed', { reason })
  return jwt
}

export function createCredentialRenewalService (ctx: Ctx, holder: NodeCredentialHolder, o: CredentialRenewalOptions): CredentialRenewalService {
  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<boolean> | undefined
  let renewals = 0
  let lastError: string | undefined

  const renew = async (force: boolean, why?: string): Promise<boolean> => {
    const reason = force ? (why ?? 'FORCED') : renewalReason(ctx, holder.get(), o)
    if (reason == null) return false
    holder.set(await issueAndStore(ctx, o, reason))
    renewals++
    const pushed = await ctx.mesh.rehello()
    ctx.logger.info('NodeCredential presented to connected partners', { connections: pushed })
    return true
  }

  const service: CredentialRenewalService = {
    name: 'credentials',
    dependencies: CREDENTIALS_DEPENDENCIES,
    async renewIfDue (options = {}) {
      // one renewal at a time: a tick and an operator request never issue two credentials at once
      while (running != null) await running.catch(() => false)
      running = renew(options.force === true, options.reason)
      try {
        const r = await running
        lastError = undefined
        return r
      } catch (err) {
        lastError = (err as Error).message
        throw err
      } finally {
        running = undefined
      }
    },
    async start () {
      if (timer != null) return
      timer = setInterval(() => {
        service.renewIfDue().catch(err => { ctx.logger.error('NodeCredential renewal failed', { error: (err as Error).message, code: (err as { code?: string }).code }) })
      }, o.checkIntervalMs)
      timer.unref()
    },
    async stop () {
      if (timer != null) clearInterval(timer)
      timer = undefined
      await running?.catch(() => {})
    },
    status () {
      const v = verifyNodeCredential(holder.get(), { clock: ctx.clock, expectedIssuer: ctx.identity.orgDid })
      return {
        nodeCredentialExpiresAt: v.ok ? new Date(v.value.expiresAt * 1000).toISOString() : undefined,
        renewals,
        ...(lastError != null ? { lastError } : {})
      }
    }
  }
  return service
}
