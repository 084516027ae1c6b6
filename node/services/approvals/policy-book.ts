/**
 * Policy documents this node knows by digest: its own effective policy (every version it loaded) and
 * policies carried in delegation chains that it fetched from peers. A document is accepted only if it
 * re-validates strictly and its canonical form hashes to the digest it was asked for, so a peer can
 * never substitute a looser policy. Kept in memory for the (synchronous) decision path and persisted
 * in the `policies` sublevel so a restart does not need the mesh.
 */
import type { Repository } from '../../store/repository.js'
import { canonicalPolicy, isPolicyDigest, policyDigest, validatePolicyDocument, type EffectivePolicy, type PolicyLevel } from '../../../authz/index.js'
import { fail, ok, type Result } from '../../../identity/result.js'

export interface StoredPolicy {
  digest: string
  /** Canonical JSON of the effective policy (`{ levels: [document, ...] }`). */
  canonical: string
  /** Where it came from: `local` or the org DID that served it. */
  source: string
  at: number
}

/** Rebuild an effective policy from its canonical JSON and check it against `digest`. */
export function policyFromCanonical (text: string, digest: string): Result<EffectivePolicy> {
  if (!isPolicyDigest(digest)) return fail('POLICY_DIGEST_INVALID', `${digest} is not a sha256 policy digest`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return fail('POLICY_MALFORMED', 'policy is not valid JSON')
  }
  const levelsIn = (value as { levels?: unknown } | null)?.levels
  if (value == null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length !== 1 || !Array.isArray(levelsIn) || levelsIn.length === 0 || levelsIn.length > 32) {
    return fail('POLICY_MALFORMED', 'policy must be { levels: [1..32 documents] }')
  }
  const short = digest.slice(7, 19)
  const levels: PolicyLevel[] = []
  try {
    levelsIn.forEach((doc, i) => {
      const name = (doc as { name?: unknown } | null)?.name
      // the canonical form spells "no parents" as `extends: []`, which a document written by hand may not
      const input = doc != null && typeof doc === 'object' && Array.isArray((doc as { extends?: unknown }).extends) && (doc as { extends: unknown[] }).extends.length === 0
        ? Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'extends'))
        : doc
      levels.push({ file: `carried:${short}/${i}:${typeof name === 'string' ? name.slice(0, 64) : '?'}`, document: validatePolicyDocument(input, `carried policy ${short} level ${i}`) })
    })
  } catch (err) {
    return fail('POLICY_MALFORMED', (err as Error).message)
  }
  const policy: EffectivePolicy = { levels }
  const got = policyDigest(policy)
  if (got !== digest) return fail('POLICY_DIGEST_MISMATCH', `policy hashes to ${got}, not ${digest}`)
  return ok(policy)
}

export class PolicyBook {
  readonly #repo: Repository<StoredPolicy>
  readonly #byDigest = new Map<string, { policy: EffectivePolicy, canonical: string }>()

  constructor (repo: Repository<StoredPolicy>) {
    this.#repo = repo
  }

  async load (): Promise<void> {
    for (const [digest, rec] of await this.#repo.list()) {
      const p = policyFromCanonical(rec.canonical, digest)
      if (p.ok) this.#byDigest.set(digest, { policy: p.value, canonical: rec.canonical })
    }
  }

  get (digest: string): EffectivePolicy | undefined {
    return this.#byDigest.get(digest)?.policy
  }

  canonical (digest: string): string | undefined {
    return this.#byDigest.get(digest)?.canonical
  }

  has (digest: string): boolean {
    return this.#byDigest.has(digest)
  }

  /** Remember a policy this node loaded itself. */
  async addLocal (policy: EffectivePolicy, at: number): Promise<string> {
    const digest = policyDigest(policy)
    if (!this.#byDigest.has(digest)) {
      const canonical = canonicalPolicy(policy)
      this.#byDigest.set(digest, { policy, canonical })
      await this.#repo.put(digest, { digest, canonical, source: 'local', at }, { sync: true })
    }
    return digest
  }

  /** Accept a fetched document only if it validates and hashes to `digest`. */
  async addFetched (digest: string, canonical: string, source: string, at: number): Promise<Result<EffectivePolicy>> {
    const known = this.#byDigest.get(digest)
    if (known != null) return ok(known.policy)
    const p = policyFromCanonical(canonical, digest)
    if (!p.ok) return p
    this.#byDigest.set(digest, { policy: p.value, canonical })
    await this.#repo.put(digest, { digest, canonical, source, at }, { sync: true })
    return p
  }
}
