/**
 * Ring elevations of this node's own agents: org-signed, time-limited JWTs (see policy/elevation.ts)
 * kept in the `elevations` sublevel by `<agent DID>/<jti>`. Every use re-verifies the signature,
 * issuer and time, so an expired or forged record simply stops counting; nothing has to revoke it.
 */
import type { Result } from '../../../identity/result.js'
import type { Repository } from '../../store/repository.js'
import type { Clock } from '../../../identity/clock.js'
import { applyElevations, verifyElevation, type Elevation } from '../../../authz/index.js'

export interface StoredElevation {
  jwt: string
  agent: string
  ring: number
  exp: number
}

export interface ElevatedRing {
  ring: number
  /** Elevations that lowered the ring (valid now). */
  applied: Elevation[]
}

export class ElevationBook {
  readonly #repo: Repository<StoredElevation>
  readonly #org: string
  readonly #clock: Clock

  constructor (deps: { repo: Repository<StoredElevation>, org: string, clock: Clock }) {
    this.#repo = deps.repo
    this.#org = deps.org
    this.#clock = deps.clock
  }

  /** Stores an elevation that verifies (signed by the org, in force); a refusal is a Result with its code. */
  async add (jwt: string): Promise<Result<Elevation>> {
    const v = verifyElevation(jwt, { org: this.#org, clock: this.#clock })
    if (!v.ok) return v
    await this.#repo.put(`${v.value.sub}/${v.value.jti}`, { jwt, agent: v.value.sub, ring: v.value.ring, exp: v.value.exp }, { sync: true })
    return v
  }

  /** Elevations of `agent` (or all) that still verify now. */
  async valid (agent?: string): Promise<Elevation[]> {
    const out: Elevation[] = []
    const nowS = Math.floor(this.#clock.now() / 1000)
    for (const [, rec] of await this.#repo.list(agent != null ? { prefix: `${agent}/` } : {})) {
      if (rec.exp <= nowS) continue
      const v = verifyElevation(rec.jwt, { org: this.#org, clock: this.#clock, ...(agent != null ? { agent } : {}) })
      if (v.ok) out.push(v.value)
    }
    return out
  }

  /** The agent's ring with its valid elevations applied (never more privileged than ring 1). */
  async ringOf (agent: string, credentialRing: number): Promise<ElevatedRing> {
    const elevations = await this.valid(agent)
    const now = this.#clock.now()
    const ring = applyElevations(credentialRing, elevations, now, agent)
    const nowS = Math.floor(now / 1000)
    return { ring, applied: ring < credentialRing ? elevations.filter(e => e.ring < credentialRing && e.iat <= nowS && nowS < e.exp) : [] }
  }

  /** Drop records past their expiry (they would no longer verify anyway). */
  async prune (): Promise<number> {
    const nowS = Math.floor(this.#clock.now() / 1000)
    let n = 0
    for (const [k, rec] of await this.#repo.list()) {
      if (rec.exp + 120 <= nowS) { await this.#repo.del(k, { sync: false }); n++ }
    }
    return n
  }
}
