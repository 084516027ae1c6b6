/**
 * The node's own effective policy, loaded from `policy.yaml` in the data directory (with `extends`
 * resolved against files beside it). A node refuses to start with a missing or broken policy; a
 * replacement (`policy load`) passes the same loosening checks before it takes effect. A FIFO, a
 * device or an oversized file is refused (NOT_REGULAR_FILE, FILE_TOO_LARGE) without blocking.
 */
import { dirname, isAbsolute, resolve } from 'node:path'
import { loadPolicy, policyDigest, type EffectivePolicy } from '../authz/index.js'
import { FileTooLargeError, NotRegularFileError, readRegularFile } from '../identity/regular-file.js'

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

/** Largest policy file read (each level). */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024
/** Most `extends` levels fetched from disk before giving up. */
const MAX_POLICY_FILES = 32

/**
 * Load a policy file and its parents from disk; throws PolicyStartError naming the problem. Files are
 * read without blocking (regular files of bounded size only): the synchronous policy loader is run
 * over what has been read so far, and the files it asked for and lacked are read, until it has all.
 */
export async function loadLocalPolicy (file: string, options: { signal?: AbortSignal } = {}): Promise<LocalPolicy> {
  const abs = resolve(file)
  const texts = new Map<string, string | undefined>()
  for (let round = 0; ; round++) {
    const missing = new Set<string>()
    const loader = (ref: string): string | undefined => {
      const path = isAbsolute(ref) ? ref : resolve(dirname(abs), ref)
      if (!texts.has(path)) missing.add(path)
      return texts.get(path)
    }
    try {
      const policy = loadPolicy(abs, loader)
      return { policy, digest: policyDigest(policy), file: abs }
    } catch (err) {
      if (missing.size === 0 || round >= MAX_POLICY_FILES) {
        const e = err as { code?: string, message?: string }
        throw new PolicyStartError(e.code ?? 'POLICY_ERROR', `policy ${abs} cannot be loaded: ${e.message ?? String(err)}`)
      }
    }
    for (const path of missing) {
      try {
        texts.set(path, await readRegularFile(path, { maxBytes: MAX_POLICY_FILE_BYTES, ...(options.signal != null ? { signal: options.signal } : {}) }))
      } catch (err) {
        if (err instanceof NotRegularFileError || err instanceof FileTooLargeError) throw new PolicyStartError(err.code, `policy ${abs} cannot be loaded: ${err.message}`)
        texts.set(path, undefined)
      }
    }
  }
}
