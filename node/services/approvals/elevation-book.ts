/**
 * Ring elevations of this node's own agents: org-signed, time-limited JWTs (see policy/elevation.ts)
 * kept in the `elevations` sublevel by `<agent DID>/<jti>`. Every use re-verifies the signature,
 * issuer and time, so an expired or forged record simply stops counting; nothing has to revoke it.
 *
 * The records are also held in memory by agent, read from the store once (on first use) and written
 * through: `ringOf` runs for every local principal of every inbound task, and listing the sublevel's
 * range each time was ~0.5 ms of a task under load (B12 profile). The book is the only writer of its
 * sublevel, so memory and store hold the same records.
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
  /** agent DID -> key -> record; loaded once, then kept with every write. */
  #byAgent: Promise<Map<string, Map<string, StoredElevation>>> | undefined

  constructor (deps: { repo: Repository<StoredElevation>, org: string, clock: Clock }) {
    this.#repo = deps.repo
    this.#org = deps.org
    this.#clock = deps.clock
  }

  /** The records in memory (read from the store on first use; a failed read is tried again next time). */
  async #index (): Promise<Map<string, Map<string, StoredElevation>>> {
    this.#byAgent ??= (async () => {
      const m = new Map<string, Map<string, StoredElevation>>()
      for (const [k, rec] of await this.#repo.list()) setIn(m, rec.agent, k, rec)
      return m
    })()
    try {
      return await this.#byAgent
    } catch (err) {
      this.#byAgent = undefined
      throw err
    }
  }

  /** Stores an elevation that verifies (signed by the org, in force); a refusal is a Result with its code. */
  async add (jwt: string): Promise<Result<Elevation>> {
    const v = verifyElevation(jwt, { org: this.#org, clock: this.#clock })
    if (!v.ok) return v
    const index = await this.#index()
    const key = `${v.value.sub}/${v.value.jti}`
    const rec: StoredElevation = { jwt, agent: v.value.sub, ring: v.value.ring, exp: v.value.exp }
    await this.#repo.put(key, rec, { sync: true })
    // in memory only once durable: a failed write leaves neither
    setIn(index, rec.agent, key, rec)
    return v
  }

  /** Elevations of `agent` (or all) that still verify now. */
  async valid (agent?: string): Promise<Elevation[]> {
    const out: Elevation[] = []
    const nowS = Math.floor(this.#clock.now() / 1000)
    const index = await this.#index()
    const records = agent != null ? [...(index.get(agent)?.values() ?? [])] : [...index.values()].flatMap(m => [...m.values()])
    for (const rec of records) {
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
    const index = await this.#index()
    for (const [k, rec] of await this.#repo.list()) {
      if (rec.exp + 120 <= nowS) {
        await this.#repo.del(k, { sync: false })
        const m = index.get(rec.agent)
        m?.delete(k)
        if (m?.size === 0) index.delete(rec.agent)
        n++
      }
    }
    return n
  }
}

function setIn (m: Map<string, Map<string, StoredElevation>>, agent: string, key: string, rec: StoredElevation): void {
  let a = m.get(agent)
  if (a == null) { a = new Map(); m.set(agent, a) }
  a.set(key, rec)
}
