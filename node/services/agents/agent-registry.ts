/**
 * Agents hosted by this node: each has its own Ed25519 key in the node's key store and an
 * AgentCredential signed by the org (ring, root capabilities, name, expiry). Records are persisted;
 * the credential is re-verified whenever it is used.
 */
import { issueAgentCredential, verifyAgentCredential } from '../../../identity/credentials.js'
import type { Ed25519Signer } from '../../../identity/signer.js'
import type { KeyStore } from '../../../identity/keystore.js'
import type { Clock } from '../../../identity/clock.js'
import { agentKeyName } from '../../data-dir.js'
import type { Repository } from '../../store/repository.js'

export const DEFAULT_AGENT_TTL_SECONDS = 30 * 24 * 3600
const AGENT_NAME = /^[a-z0-9][a-z0-9._-]{0,47}$/

export interface AgentRecord {
  name: string
  did: string
  ring: number
  capabilities: string[]
  credential: string
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
  ring: number
  capabilities: string[]
  ttlSeconds?: number
}

export class AgentRegistry {
  readonly #repo: Repository<AgentRecord>
  readonly #keys: KeyStore
  readonly #org: Ed25519Signer
  readonly #clock: Clock
  /** Decrypted agent keys: scrypt on every task would cost ~100 ms of CPU each time. */
  readonly #signers = new Map<string, Ed25519Signer>()
  /** Agent DID -> name of every record (filled on the first lookup by DID, then by create). */
  readonly #nameOfDid = new Map<string, string>()
  #indexed = false

  constructor (deps: { repo: Repository<AgentRecord>, keys: KeyStore, orgSigner: Ed25519Signer, clock: Clock }) {
    this.#repo = deps.repo
    this.#keys = deps.keys
    this.#org = deps.orgSigner
    this.#clock = deps.clock
  }

  async create (input: CreateAgentInput): Promise<AgentRecord> {
    if (typeof input.name !== 'string' || !AGENT_NAME.test(input.name)) throw new AgentError('INVALID_AGENT_NAME', `agent name ${JSON.stringify(input.name)} must be 1-48 of [a-z0-9._-]`)
    if (!Number.isInteger(input.ring) || input.ring < 1 || input.ring > 3) throw new AgentError('INVALID_RING', `--ring must be 1, 2 or 3 (ring 0 is node administration, never held by an agent), got ${String(input.ring)}`)
    if (!Array.isArray(input.capabilities) || input.capabilities.length === 0) throw new AgentError('NO_CAPABILITIES', 'an agent needs at least one --can <ability>')
    if (await this.#repo.has(input.name)) throw new AgentError('AGENT_EXISTS', `agent ${input.name} already exists`)
    // a key without a record is left by a crash before the create was acknowledged: adopt it
    const keyName = agentKeyName(input.name)
    const signer = await this.#keys.has(keyName) ? await this.#keys.load(keyName) : await this.#keys.create(keyName)
    const ttlSeconds = input.ttlSeconds ?? DEFAULT_AGENT_TTL_SECONDS
    let credential: string
    try {
      credential = await issueAgentCredential(this.#org, { agentDid: signer.did, name: input.name, ring: input.ring, capabilities: input.capabilities }, { clock: this.#clock, ttlSeconds })
    } catch (err) {
      throw new AgentError((err as { code?: string }).code ?? 'INVALID_AGENT', (err as Error).message)
    }
    const v = verifyAgentCredential(credential, { clock: this.#clock, expectedIssuer: this.#org.did })
    if (!v.ok) throw new AgentError(v.error.code, v.error.message)
    const record: AgentRecord = { name: input.name, did: signer.did, ring: input.ring, capabilities: [...input.capabilities], credential, createdAt: this.#clock.now(), expiresAt: v.value.expiresAt * 1000 }
    await this.#repo.put(input.name, record)
    this.#nameOfDid.set(record.did, record.name)
    return record
  }

  async list (): Promise<AgentRecord[]> {
    return (await this.#repo.list()).map(([, v]) => v)
  }

  async get (nameOrDid: string): Promise<AgentRecord | undefined> {
    // a DID is looked up through its name: a task asks for its agents by DID several times per hop,
    // and a scan of every record each time was the largest store cost of a task (B12 profile)
    if (!nameOrDid.startsWith('did:')) return await this.#repo.get(nameOrDid)
    if (!this.#indexed) {
      for (const a of await this.list()) this.#nameOfDid.set(a.did, a.name)
      this.#indexed = true
    }
    // a DID not in the index is not one of ours (records are only ever added, through create)
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

  async signer (nameOrDid: string): Promise<Ed25519Signer> {
    const a = await this.require(nameOrDid)
    let s = this.#signers.get(a.name)
    if (s == null) {
      s = await this.#keys.load(agentKeyName(a.name))
      this.#signers.set(a.name, s)
    }
    return s
  }
}
