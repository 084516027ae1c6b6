/**
 * Agents hosted by this node: for each, its DID, the AgentCredential the org signed (ring, root
 * capabilities, name, expiry), the agent's acceptance of it, ring and abilities. Never its private
 * key: the agent holds that (DESIGN.md section 2). Records are persisted; the credential is
 * re-verified whenever it is used.
 */
import { issueAgentCredential, verifyAgentCredential } from '../../../identity/credentials.js'
import { verifyAcceptance } from '../../../identity/agent-acceptance.js'
import { parseDidKey } from '../../../identity/did-key.js'
import type { Ed25519Signer } from '../../../identity/signer.js'
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
  readonly #org: Ed25519Signer
  readonly #clock: Clock

  constructor (deps: { repo: Repository<AgentRecord>, orgSigner: Ed25519Signer, clock: Clock }) {
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
    const next: AgentRecord = { ...rest, credential: credential.jwt, expiresAt: credential.expiresAt }
    await this.#repo.put(a.name, next)
    return next
  }

  async remove (nameOrDid: string): Promise<AgentRecord> {
    const a = await this.require(nameOrDid)
    await this.#repo.del(a.name)
    return a
  }

  async list (): Promise<AgentRecord[]> {
    return (await this.#repo.list()).map(([, v]) => v)
  }

  async get (nameOrDid: string): Promise<AgentRecord | undefined> {
    const byName = AGENT_NAME.test(nameOrDid) ? await this.#repo.get(nameOrDid) : undefined
    if (byName != null) return byName
    return (await this.list()).find(a => a.did === nameOrDid)
  }

  async require (nameOrDid: string): Promise<AgentRecord> {
    const a = await this.get(nameOrDid)
    if (a == null) throw new AgentError('UNKNOWN_AGENT', `no local agent ${nameOrDid}`)
    return a
  }
}
