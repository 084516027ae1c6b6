/**
 * The node's own effective policy, loaded from `policy.yaml` in the data directory (with `extends`
 * resolved against files beside it). A node refuses to start with a missing or broken policy; a
 * replacement (`policy load`) passes the same loosening checks before it takes effect.
 */
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { loadPolicy, policyDigest, type EffectivePolicy } from '../authz/index.js'

export interface LocalPolicy {
  readonly policy: EffectivePolicy
  readonly digest: string
  readonly file: string
}

export class PolicyStartError extends Error {
  override readonly name = 'PolicyStartError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

function fileLoader (baseDir: string) {
  return (ref: string): string | undefined => {
    const path = isAbsolute(ref) ? ref : resolve(baseDir, ref)
    try {
      return readFileSync(path, 'utf8')
    } catch {
      return undefined
    }
  }
}

/** Load a policy file and its parents from disk; throws PolicyStartError naming the problem. */
export function loadLocalPolicy (file: string): LocalPolicy {
  const abs = resolve(file)
  try {
    const policy = loadPolicy(abs, fileLoader(dirname(abs)))
    return { policy, digest: policyDigest(policy), file: abs }
  } catch (err) {
    const e = err as { code?: string, message?: string }
    throw new PolicyStartError(e.code ?? 'POLICY_ERROR', `policy ${abs} cannot be loaded: ${e.message ?? String(err)}`)
  }
}

