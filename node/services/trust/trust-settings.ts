/**
 * Operator settings of the trust service: how often attestations are (re)published, how far a local
 * score must move to be published at once, and how long an attestation lives. Read from the
 * environment (`TRUSTMESH_TRUST_INTERVAL_MS`, `TRUSTMESH_TRUST_THRESHOLD`, `TRUSTMESH_TRUST_TTL_S`);
 * a value that does not parse is a start-up error, never silently replaced.
 */
import { MAX_ATTESTATION_TTL_SECONDS, DEFAULT_ATTESTATION_TTL_SECONDS } from '../../../trust/index.js'

export interface TrustSettings {
  /** Period of the publish/refresh/prune tick, ms. */
  intervalMs: number
  /** Publish at once when a local score moves by at least this many points (or changes tier). */
  threshold: number
  /** Lifetime of our attestations, s; they are refreshed after half of it. */
  ttlSeconds: number
}

export const DEFAULT_TRUST_SETTINGS: TrustSettings = { intervalMs: 60_000, threshold: 25, ttlSeconds: DEFAULT_ATTESTATION_TTL_SECONDS }

export class TrustSettingsError extends Error {
  override readonly name = 'TrustSettingsError'
  readonly code = 'INVALID_CONFIG'
}

function intFrom (env: NodeJS.ProcessEnv, name: string, min: number, max: number, dflt: number): number {
  const raw = env[name]
  if (raw == null || raw === '') return dflt
  if (!/^\d+$/.test(raw.trim())) throw new TrustSettingsError(`${name} must be an integer, got ${JSON.stringify(raw)}`)
  const n = Number(raw.trim())
  if (n < min || n > max) throw new TrustSettingsError(`${name} must be from ${min} to ${max}, got ${n}`)
  return n
}

export function trustSettingsFromEnv (env: NodeJS.ProcessEnv = process.env): TrustSettings {
  const s: TrustSettings = {
    intervalMs: intFrom(env, 'TRUSTMESH_TRUST_INTERVAL_MS', 100, 86_400_000, DEFAULT_TRUST_SETTINGS.intervalMs),
    threshold: intFrom(env, 'TRUSTMESH_TRUST_THRESHOLD', 1, 1000, DEFAULT_TRUST_SETTINGS.threshold),
    ttlSeconds: intFrom(env, 'TRUSTMESH_TRUST_TTL_S', 1, MAX_ATTESTATION_TTL_SECONDS, DEFAULT_TRUST_SETTINGS.ttlSeconds)
  }
  if (s.intervalMs >= s.ttlSeconds * 500) throw new TrustSettingsError(`TRUSTMESH_TRUST_INTERVAL_MS (${s.intervalMs}) must be under half the attestation lifetime (${s.ttlSeconds} s), or attestations lapse between refreshes`)
  return s
}
