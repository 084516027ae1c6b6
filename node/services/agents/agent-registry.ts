/**
 * Agents hosted by this node: for each, its DID, the AgentCredential the org signed (ring, root
 * capabilities, name, expiry), the agent's acceptance of it, ring and abilities. Never its private
 * key: the agent holds that (DESIGN.md section 2). Records are persisted; the credential is
 * re-verified whenever it is used.
 */
import { issueAgentCredential, verifyAgentCredential } from '../../../identity/credentials.js'
import { verifyAcceptance } from '../../../identity/agent-acceptance.js'
import { parseDidKey } from '../../../identity/did-key.js'
import type { Signer } from '../../../identity/signer.js'
import type { Clock } from '../../../identity/clock.js'
import type { Repository } from '../../store/repository.js'

export const DEFAULT_AGENT_TTL_SECONDS = 30 * 24 * 3600
const AGENT_NAME = /^[a-z0-9][a-z0-9._-]{0,47}$/

export interface AgentRecord {
  name: string
  did: string
  ring: number
  capabilities: string[]
  credential: string
  /** The agent's countersignature of `credential` (identity/agent-acceptance.ts); absent until it accepts. */
  acceptance?: string
  createdAt: number
  expiresAt: number
  /** Earlier credentials of this agent still possibly valid (newest first, at most 4): `agent remove` revokes them too. */
  previous?: string[]
}

export class AgentError extends Error {
  override readonly name = 'AgentError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

export interface CreateAgentInput {
  name: string
  /** The agent's did:key; its private key stays with the agent. */
  did: string
  ring: number
  capabilities: string[]
  ttlSeconds?: number
}

export class AgentRegistry {
  readonly #repo: Repository<AgentRecord>
  readonly #org: Signer
  readonly #clock: Clock
  /**
   * Agent DID -> name of every record, filled on the first lookup by DID and kept by create and
   * remove (a record's name and DID never change; renewal and org key rotation keep both). Every
   * lookup by DID scanned all agent records before: the agent API authenticates each request by DID
   * and a task looks up its agents by DID several times per hop (B12 profile).
   */
  readonly #nameOfDid = new Map<string, string>()
  #indexed = false

  constructor (deps: { repo: Repository<AgentRecord>, orgSigner: Signer, clock: Clock }) {
    this.#repo = deps.repo
    this.#org = deps.orgSigner
    this.#clock = deps.clock
  }

  async create (input: CreateAgentInput): Promise<AgentRecord> {
    if (typeof input.name !== 'string' || !AGENT_NAME.test(input.name)) throw new AgentError('INVALID_AGENT_NAME', `agent name ${JSON.stringify(input.name)} must be 1-48 of [a-z0-9._-]`)
    if (!parseDidKey(input.did).ok) throw new AgentError('INVALID_DID', `agent DID ${JSON.stringify(String(input.did).slice(0, 80))} is not an Ed25519 did:key (trustmesh agent keygen prints one)`)
    if (!Number.isInteger(input.ring) || input.ring < 1 || input.ring > 3) throw new AgentError('INVALID_RING', `--ring must be 1, 2 or 3 (ring 0 is node administration, never held by an agent), got ${String(input.ring)}`)
    if (!Array.isArray(input.capabilities) || input.capabilities.length === 0) throw new AgentError('NO_CAPABILITIES', 'an agent needs at least one --can <ability>')
    if (await this.#repo.has(input.name)) throw new AgentError('AGENT_EXISTS', `agent ${input.name} already exists`)
    if (input.did === this.#org.did) throw new AgentError('INVALID_DID', 'an agent cannot use the org key')
    if (await this.get(input.did) != null) throw new AgentError('AGENT_EXISTS', `an agent with DID ${input.did} already exists`)
    const credential = await this.#issue(input.did, input.name, input.ring, input.capabilities, input.ttlSeconds ?? DEFAULT_AGENT_TTL_SECONDS)
    const record: AgentRecord = { name: input.name, did: input.did, ring: input.ring, capabilities: [...input.capabilities], credential: credential.jwt, createdAt: this.#clock.now(), expiresAt: credential.expiresAt }
    await this.#repo.put(input.name, record)
    this.#nameOfDid.set(record.did, record.name)
    return record
  }

  async #issue (did: string, name: string, ring: number, capabilities: string[], ttlSeconds: number): Promise<{ jwt: string, expiresAt: number }> {
    let jwt: string
    try {
      jwt = await issueAgentCredential(this.#org, { agentDid: did, name, ring, capabilities }, { clock: this.#clock, ttlSeconds })
    } catch (err) {
      throw new AgentError((err as { code?: string }).code ?? 'INVALID_AGENT', (err as Error).message)
    }
    const v = verifyAgentCredential(jwt, { clock: this.#clock, expectedIssuer: this.#org.did })
    if (!v.ok) throw new AgentError(v.error.code, v.error.message)
    return { jwt, expiresAt: v.value.expiresAt * 1000 }
  }

  /** Stores the agent's acceptance of its current credential (checked: by the agent, for this credential and org). */
  async accept (nameOrDid: string, acceptance: string): Promise<AgentRecord> {
    const a = await this.require(nameOrDid)
    const v = verifyAcceptance(acceptance, a.credential, a.did, this.#org.did)
    if (!v.ok) throw new AgentError(v.error.code, v.error.message)
    const next = { ...a, acceptance }
    await this.#repo.put(a.name, next)
    return next
  }

  /** A new credential with the same claims and a fresh expiry; the agent must accept it again. */
  async renew (nameOrDid: string, ttlSeconds = DEFAULT_AGENT_TTL_SECONDS): Promise<AgentRecord> {
    const a = await this.require(nameOrDid)
    const credential = await this.#issue(a.did, a.name, a.ring, a.capabilities, ttlSeconds)
    const { acceptance: _old, ...rest } = a
    const next: AgentRecord = { ...rest, credential: credential.jwt, expiresAt: credential.expiresAt, previous: [a.credential, ...(a.previous ?? [])].slice(0, 4) }
    await this.#repo.put(a.name, next)
    return next
  }

  async remove (nameOrDid: string): Promise<AgentRecord> {
    const a = await this.require(nameOrDid)
    await this.#repo.del(a.name)
    this.#nameOfDid.delete(a.did)
    return a
  }

  async list (): Promise<AgentRecord[]> {
    return (await this.#repo.list()).map(([, v]) => v)
  }

  /**
   * Whether `did` is one of this node's agents, from the DID index alone (no record read): create and
   * remove keep the index, so a removed agent is refused at once. For checks that need no record
   * (the agent API's authentication, the executor of an inbound task).
   */
  async hosts (did: string): Promise<boolean> {
    await this.#index()
    return this.#nameOfDid.has(did)
  }

  async #index (): Promise<void> {
    if (this.#indexed) return
    for (const a of await this.list()) this.#nameOfDid.set(a.did, a.name)
    this.#indexed = true
  }

  async get (nameOrDid: string): Promise<AgentRecord | undefined> {
    if (AGENT_NAME.test(nameOrDid)) {
      const byName = await this.#repo.get(nameOrDid)
      if (byName != null) return byName
    }
    await this.#index()
    // a DID not in the index is not one of ours (records are added only by create); the record read
    // by name must still carry that DID (a stale entry after a concurrent remove finds nothing)
    const named = this.#nameOfDid.get(nameOrDid)
    if (named == null) return undefined
    const byName = await this.#repo.get(named)
    return byName?.did === nameOrDid ? byName : undefined
  }

  async require (nameOrDid: string): Promise<AgentRecord> {
    const a = await this.get(nameOrDid)
    if (a == null) throw new AgentError('UNKNOWN_AGENT', `no local agent ${nameOrDid}`)
    return a
  }
}
